// Page behaviour, attached by data attributes (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // <button data-print>: print the page.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // <select data-autosubmit>: a filter that applies as soon as it changes.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // <select data-fill-from-option>: picking a plan item fills in what the session must share
  // with it (the server still checks); the option's data-* name the fields by id.
  document.querySelectorAll("select[data-fill-from-option]").forEach(function (select) {
    select.addEventListener("change", function () {
      var o = select.options[select.selectedIndex];
      if (!o.value) return;
      ["specialty", "category", "level", "audience", "form", "hours"].forEach(function (k) {
        var el = document.getElementById(k);
        if (el && o.dataset[k]) el.value = o.dataset[k];
      });
      var title = document.getElementById("title");
      if (title && !title.value) title.value = o.dataset.title;
    });
  });

  // <button data-add="kind">: a new row from <template id="tpl-kind"> into #rows-kind.
  document.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault(); // a submit button without script (the server adds the row)
      var kind = button.getAttribute("data-add");
      var list = document.getElementById("rows-" + kind);
      var next = Number(list.getAttribute("data-next"));
      var html = document.getElementById("tpl-" + kind).innerHTML.replace(/__i__/g, String(next));
      list.insertAdjacentHTML("beforeend", html);
      list.setAttribute("data-next", String(next + 1));
      // The form tells the server how many numbered rows to read.
      var count = document.getElementById(list.getAttribute("data-count-input") || "");
      if (count) { count.value = String(next + 1); }
      var added = list.lastElementChild.querySelector("input[type=text]");
      if (added) { added.focus(); }
    });
  });

  // <button data-remove> inside a row's <fieldset>: drop that row.
  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-remove]")) {
      event.preventDefault();
      event.target.closest("fieldset").remove();
    }
  });

  // <button data-confirm="…">: ask before a destructive submit.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
