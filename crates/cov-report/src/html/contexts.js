"use strict";
(function(){
var ix=document.getElementById("ctxi");
if(ix){
  // The index: pick a test to see the files it ran and how many of their
  // lines; file links then open with the test picked.
  var D=JSON.parse(ix.textContent),rows=Array.prototype.slice.call(document.querySelectorAll("#files tbody tr"));
  var links=rows.map(function(r){var a=r.querySelector("a");return a?[a,a.getAttribute("href")]:null;});
  var tag=rows.map(function(r){var sp=document.createElement("span");sp.className="tl";r.cells[0].appendChild(sp);return sp;});
  var sel=document.createElement("select");sel.id="tpick";sel.setAttribute("aria-label","Show the files one test ran");sel.title="Show the files one test ran";
  var o=document.createElement("option");o.value="-1";o.textContent="All tests ("+D.t.length+")";sel.appendChild(o);
  D.t.forEach(function(n,k){var f=D.f[k],sum=0;for(var i=1;i<f.length;i+=2)sum+=f[i];var o=document.createElement("option");o.value=k;o.textContent=n+" — "+sum+(sum===1?" line":" lines");sel.appendChild(o);});
  var nav=document.querySelector(".top .nav");if(nav)nav.insertBefore(sel,nav.firstChild);
  var pickI=function(k){
    document.body.classList.toggle("tpicked",k>=0);var ran={};
    if(k>=0){var f=D.f[k];for(var i=0;i<f.length;i+=2)ran[f[i]]=f[i+1];}
    rows.forEach(function(r,i){var n=ran[i];r.classList.toggle("ton",n!==undefined);tag[i].textContent=n!==undefined?" · "+n+(n===1?" line":" lines")+" ran by this test":"";
      if(links[i])links[i][0].setAttribute("href",links[i][1]+(k>=0&&n!==undefined?"#t="+k:""));});
    try{history.replaceState(null,"",k>=0?"#t="+k:location.pathname+location.search);}catch(e){}
  };
  sel.addEventListener("change",function(){pickI(+sel.value);});
  var mi=/^#t=(\d+)$/.exec(location.hash);if(mi&&+mi[1]<D.t.length){sel.value=mi[1];pickI(+mi[1]);}
  return;
}
var el=document.getElementById("ctx");if(!el)return;
var d=JSON.parse(el.textContent),T=d.t,LIMIT=10;
var S=d.s.map(function(r){var o=[];for(var i=0;i<r.length;i+=2)for(var k=r[i];k<=r[i+1];k++)o.push(k);return o;});
var has=S.map(function(a){var o={};a.forEach(function(k){o[k]=1;});return o;});
var per=T.map(function(){return 0;}),rows=[];
for(var i=0;i<d.l.length;i+=2){
  var r=document.getElementById("L"+d.l[i]),s=d.l[i+1];if(!r||!S[s])continue;
  S[s].forEach(function(k){per[k]++;});
  r.setAttribute("data-s",s);rows.push(r);
  var c=r.cells[1];c.className="tc";c.tabIndex=0;c.setAttribute("role","button");c.setAttribute("aria-haspopup","dialog");
  var n=S[s].length+(S[s].length===1?" test ran":" tests ran")+" this line";
  c.setAttribute("aria-label",c.textContent+" runs; "+n);c.title=(c.title?c.title+" runs; ":"")+n+" (click or Enter)";
}
var pop=null,from=null,cur=-1;
function close(){if(pop){pop.remove();pop=null;if(from)from.focus();from=null;}}
function open(c){
  close();from=c;var r=c.parentNode,a=S[+r.getAttribute("data-s")];
  pop=document.createElement("div");pop.id="tpop";pop.setAttribute("role","dialog");
  var h=document.createElement("b");h.textContent=a.length+(a.length===1?" test ran":" tests ran")+" line "+r.id.slice(1);
  pop.setAttribute("aria-label",h.textContent);pop.appendChild(h);
  var ul=document.createElement("ul");pop.appendChild(ul);
  function item(k){var li=document.createElement("li"),x=document.createElement("a");x.href="#t="+T[k][0];x.textContent=T[k][1];x.title="Show only the lines this test ran";if(k===cur){x.className="cur";x.setAttribute("aria-current","true");}
    x.addEventListener("click",function(e){e.preventDefault();pick(k);close();});li.appendChild(x);ul.appendChild(li);}
  a.slice(0,LIMIT).forEach(item);
  if(a.length>LIMIT){var m=document.createElement("button");m.textContent="and "+(a.length-LIMIT)+" more";
    m.addEventListener("click",function(){a.slice(LIMIT).forEach(item);m.remove();var f=ul.children[LIMIT];if(f)f.firstChild.focus();});pop.appendChild(m);}
  document.body.appendChild(pop);
  var b=c.getBoundingClientRect();pop.style.left=(b.left+window.scrollX)+"px";pop.style.top=(b.bottom+window.scrollY+4)+"px";
  var first=pop.querySelector("a");if(first)first.focus();
}
document.querySelectorAll("table.code").forEach(function(t){
  t.addEventListener("click",function(e){var c=e.target.closest("td.tc");if(c){e.stopPropagation();open(c);}});
  t.addEventListener("keydown",function(e){var c=e.target.closest("td.tc");if(c&&(e.key==="Enter"||e.key===" ")){e.preventDefault();open(c);}});
});
document.addEventListener("click",function(e){if(pop&&!pop.contains(e.target)){from=null;close();}});
document.addEventListener("keydown",function(e){if(e.key==="Escape"&&pop){e.stopPropagation();close();}},true);
var sel=document.createElement("select");sel.id="tpick";sel.setAttribute("aria-label","Show the lines one test ran");sel.title="Show the lines one test ran";
var o=document.createElement("option");o.value="-1";o.textContent="All tests ("+T.length+")";sel.appendChild(o);
T.forEach(function(t,k){var o=document.createElement("option");o.value=k;o.textContent=t[1]+" — "+per[k]+(per[k]===1?" line":" lines");sel.appendChild(o);});
var nav=document.querySelector(".top .nav");if(nav)nav.insertBefore(sel,nav.firstChild);
function show(r){var b=r.getBoundingClientRect();if(b.top<60||b.bottom>window.innerHeight)r.scrollIntoView({block:"center"});}
function pick(k){
  cur=k;sel.value=String(k);document.body.classList.toggle("tpicked",k>=0);
  rows.forEach(function(r){r.classList.toggle("ton",k>=0&&!!has[+r.getAttribute("data-s")][k]);});
  try{history.replaceState(null,"",k>=0?"#t="+T[k][0]:location.pathname+location.search);}catch(e){}
}
sel.addEventListener("change",function(){pick(+sel.value);});
var m=/^#t=(\d+)(?:,L(\d+))?$/.exec(location.hash);
if(m){
  for(var k=0;k<T.length;k++)if(T[k][0]===+m[1]){pick(k);var f=document.querySelector("tr.ton");if(f&&!m[2])show(f);break;}
  var at=m[2]&&document.getElementById("L"+m[2]);
  if(at&&at.cells[1].className==="tc"){show(at);open(at.cells[1]);}
}
})();
