// The site's only script, loaded from a file because the CSP forbids inline script.
// Everything works without it; it only adds conveniences.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { window.print(); }
});
