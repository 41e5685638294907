// Enhancements only: every page works without this file (the CSP allows scripts from 'self' only).
// Copy buttons: <button class="copy" data-copy="text" data-copied="Copied" hidden>, shown when the
// script runs; without the Clipboard API the text next to it is selected, ready for Ctrl+C.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var label = button.textContent;
    var status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () {
        button.textContent = button.getAttribute("data-copied") || label;
        if (status) { status.textContent = button.getAttribute("data-copied") || ""; }
        window.setTimeout(function () { button.textContent = label; if (status) { status.textContent = ""; } }, 2500);
      };
      var select = function () {
        var target = document.getElementById(button.getAttribute("aria-controls") || "");
        if (target) {
          var range = document.createRange();
          range.selectNodeContents(target);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, select);
      } else {
        select();
      }
    });
  });
});
