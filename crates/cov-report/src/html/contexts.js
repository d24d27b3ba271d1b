"use strict";
(function(){
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
