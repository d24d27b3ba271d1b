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
  document.querySelectorAll("a[data-filter]").forEach(function(a){a.addEventListener("click",function(){f.value=a.getAttribute("data-filter");apply();});});
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
var n=document.getElementById("next"),p=document.getElementById("prev");
if(n)n.addEventListener("click",function(){go(1);});
if(p)p.addEventListener("click",function(){go(-1);});
document.addEventListener("keydown",function(e){
  if(e.target.tagName==="INPUT"||e.ctrlKey||e.metaKey||e.altKey)return;
  if(e.key==="n"||e.key==="j")go(1);else if(e.key==="p"||e.key==="k")go(-1);
});
})();
