"use strict";
(function(){
function key(td){var v=td.getAttribute("data-v");return v===null?td.textContent.toLowerCase():parseFloat(v);}
function sortBy(t,i,th){
  var asc=th.getAttribute("aria-sort")!=="ascending";
  Array.prototype.forEach.call(t.tHead.rows[0].cells,function(c){c.removeAttribute("aria-sort");});
  th.setAttribute("aria-sort",asc?"ascending":"descending");
  var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);
  rows.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]);return (a<c?-1:a>c?1:0)*(asc?1:-1);});
  rows.forEach(function(r){b.appendChild(r);});
}
document.querySelectorAll("table.sortable").forEach(function(t){
  Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){
    th.tabIndex=0;th.title="Sort";
    th.addEventListener("click",function(){sortBy(t,i,th);});
    th.addEventListener("keydown",function(e){if(e.key==="Enter"||e.key===" "){e.preventDefault();sortBy(t,i,th);}});
  });
});
var f=document.getElementById("filter");
if(f){
  var rows=document.querySelectorAll("#files tbody tr");
  var apply=function(){var q=f.value.toLowerCase();rows.forEach(function(r){r.hidden=r.getAttribute("data-path").toLowerCase().indexOf(q)<0;});};
  f.addEventListener("input",apply);
}
var starts=Array.prototype.filter.call(document.querySelectorAll("tr.m"),function(r){var p=r.previousElementSibling;while(p&&!p.classList.contains("h")&&!p.classList.contains("m"))p=p.previousElementSibling;return !(p&&p.classList.contains("m"));});
var cur=-1;
function go(d){
  if(!starts.length)return;
  cur=(cur+d+starts.length)%starts.length;
  var r=starts[cur];r.scrollIntoView({block:"center"});
  document.querySelectorAll("tr.flash").forEach(function(x){x.classList.remove("flash");});
  r.classList.add("flash");
}
document.querySelectorAll("table.code").forEach(function(t){
  t.addEventListener("click",function(e){var td=e.target.closest("td");if(td&&td.cellIndex===0)location.hash=td.parentNode.id;});
});
function on(id,fn){var el=document.getElementById(id);if(el)el.addEventListener("click",fn);}
on("next",function(){go(1);});
on("prev",function(){go(-1);});
var hide=document.getElementById("hide"),KEY="cov-report.hide-covered";
function setHidden(h){
  if(!hide)return;
  document.body.classList.toggle("hide-covered",h);
  hide.textContent=h?"Show covered":"Hide covered";
  try{localStorage.setItem(KEY,h?"1":"");}catch(e){}
}
if(hide){
  var saved="";try{saved=localStorage.getItem(KEY)||"";}catch(e){}
  setHidden(saved==="1");
  hide.addEventListener("click",function(){setHidden(!document.body.classList.contains("hide-covered"));});
}
var help;
function toggleHelp(){
  if(!help){
    help=document.createElement("div");help.id="help";help.hidden=true;
    help.innerHTML='<div role="dialog" aria-label="Keyboard shortcuts"><h2>Keyboard shortcuts</h2><table>'+
      '<tr><td><kbd>j</kbd> <kbd>n</kbd></td><td>next block of uncovered lines</td></tr>'+
      '<tr><td><kbd>k</kbd> <kbd>p</kbd></td><td>previous block of uncovered lines</td></tr>'+
      '<tr><td><kbd>]</kbd> <kbd>[</kbd></td><td>next / previous file</td></tr>'+
      '<tr><td><kbd>c</kbd></td><td>hide or show covered lines</td></tr>'+
      '<tr><td><kbd>u</kbd></td><td>up to the index</td></tr>'+
      '<tr><td><kbd>/</kbd></td><td>filter files (index)</td></tr>'+
      '<tr><td><kbd>?</kbd> <kbd>Esc</kbd></td><td>this help / close</td></tr></table></div>';
    help.addEventListener("click",function(e){if(e.target===help)help.hidden=true;});
    document.body.appendChild(help);
  }
  help.hidden=!help.hidden;
}
on("helpbtn",toggleHelp);
function follow(id){var a=document.getElementById(id);if(a)location.href=a.href;}
document.addEventListener("keydown",function(e){
  if(e.target.tagName==="INPUT"||e.target.tagName==="SELECT"||e.ctrlKey||e.metaKey||e.altKey)return;
  var k=e.key;
  if(k==="Escape"){if(help)help.hidden=true;return;}
  if(k==="?"){toggleHelp();return;}
  if(k==="n"||k==="j")go(1);
  else if(k==="p"||k==="k")go(-1);
  else if(k==="]")follow("nextfile");
  else if(k==="[")follow("prevfile");
  else if(k==="u")follow("up");
  else if(k==="c"&&hide)setHidden(!document.body.classList.contains("hide-covered"));
  else if(k==="/"&&f){e.preventDefault();f.focus();}
  else return;
});
})();
