// Page behaviour, attached by data attributes (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // A table wider than the screen scrolls sideways: it takes keyboard focus so it can be scrolled
  // without a mouse, and says so (axe-core scrollable-region-focusable).
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", "表格（可左右滚动）");
    }
  });

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

  // <button data-copy="id">: copy the text (or value) of element #id, and say so on the button.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var text = (source.value || source.textContent || "").trim();
      var done = function () { button.textContent = "已复制"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { source.focus(); });
      } else if (source.select) { source.select(); document.execCommand("copy"); done(); }
    });
  });

  // /shared#c=CODE: a share link fills in the code. The fragment never reaches the server or its
  // logs; it is removed from the address bar once read.
  var codeField = document.querySelector("input[data-code-from-fragment]");
  var fragment = /^#c=([0-9A-Za-z-]{1,64})$/.exec(window.location.hash);
  if (codeField && fragment) {
    codeField.value = fragment[1];
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

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
  // The progress box of a job (#NAME-progress-box with #NAME-progress and #NAME-progress-text).
  var progressBox = function (name) {
    var bar = document.getElementById(name + "-progress");
    var box = document.getElementById(name + "-progress-box");
    var text = document.getElementById(name + "-progress-text");
    return {
      present: Boolean(bar && box && text),
      show: function (value, words) {
        box.hidden = false;
        bar.value = value;
        bar.textContent = value + "%";
        text.textContent = words + "（" + value + "%）";
      },
      hide: function () { box.hidden = true; }
    };
  };
  // Poll a job (its 202 answer: status_url, result_url, file_url) every 0.7 s, or 1.5 s after a
  // network error: each state in between goes to running(state); the last (finished or
  // failed) to ended(state), or ended(null) when the status cannot be read.
  var followJob = function (job, running, ended) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", job.status_url);
    xhr.responseType = "json";
    xhr.onload = function () {
      var state = xhr.response || {};
      if (xhr.status !== 200) { ended(null); return; }
      if (state.status === "finished" || state.status === "failed") { ended(state); return; }
      running(state);
      window.setTimeout(function () { followJob(job, running, ended); }, 700);
    };
    xhr.onerror = function () {
      window.setTimeout(function () { followJob(job, running, ended); }, 1500);
    };
    xhr.send();
  };
  // Start a job with a POST; job(answer) on its 202, otherwise fallback().
  var startJob = function (url, data, job, fallback, xhr) {
    xhr = xhr || new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "json";
    xhr.onload = function () {
      if (xhr.status === 202 && xhr.response && xhr.response.status_url) {
        job(xhr.response);
      } else { fallback(); }
    };
    xhr.onerror = fallback;
    xhr.send(data);
  };
  // <form data-upload-job="url">: send the roster to a background job and show its progress
  // (#upload-progress), then open the page with the job's result. Without a worker (503) or on
  // any other answer the form is posted as without script (the upload is synchronous).
  document.querySelectorAll("form[data-upload-job]").forEach(function (form) {
    var progress = progressBox("upload");
    var button = form.querySelector("button[type=submit]");
    var fallback = function () {
      form.removeAttribute("data-upload-job");
      progress.hide();
      HTMLFormElement.prototype.submit.call(form);
    };
    form.addEventListener("submit", function (event) {
      if (!form.hasAttribute("data-upload-job") || !window.FormData || !progress.present) {
        return;
      }
      event.preventDefault();
      if (button) { button.disabled = true; }
      progress.show(0, "正在上传文件");
      var xhr = new XMLHttpRequest();
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          progress.show(Math.round((e.loaded / e.total) * 20), "正在上传文件");
        }
      };
      startJob(form.getAttribute("data-upload-job"), new FormData(form), function (job) {
        progress.show(20, "文件已上传，等待处理");
        followJob(job, function (state) {
          // The file's transfer was the first fifth of the bar; the job's own progress the rest.
          var value = 20 + Math.round((state.progress || 0) * 0.8);
          progress.show(value, state.status === "queued" ? "已排队，等待处理" : "正在检查并保存名单");
        }, function (state) {
          if (state) { progress.show(100, "处理完成，正在打开结果"); }
          window.location.assign(job.result_url);
        });
      }, fallback, xhr);
    });
  });
  // <a data-pdf-job="url" href="pdf">: render the session's PDF as a background job and show
  // its progress (#pdf-progress), then download the file. Without a worker (503), a refusal or
  // a failed job the link is followed as without script (the PDF is made synchronously).
  document.querySelectorAll("a[data-pdf-job]").forEach(function (link) {
    var progress = progressBox("pdf");
    var token = document.querySelector("input[name=csrf_token]");
    var direct = function () {
      progress.hide();
      link.removeAttribute("aria-busy");
      window.location.assign(link.href);
    };
    link.addEventListener("click", function (event) {
      if (!window.FormData || !token || !progress.present) { return; }
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") { return; }
      link.setAttribute("aria-busy", "true");
      progress.show(0, "正在提交");
      var data = new FormData();
      data.append("csrf_token", token.value);
      startJob(link.getAttribute("data-pdf-job"), data, function (job) {
        progress.show(5, "已开始生成");
        followJob(job, function (state) {
          progress.show(state.progress || 0, state.status === "queued" ? "已排队，等待生成" : "正在生成证书 PDF");
        }, function (state) {
          if (!state || state.status === "failed") { direct(); return; }
          progress.show(100, "PDF 已生成，正在下载");
          link.removeAttribute("aria-busy");
          window.location.assign(job.file_url);
        });
      }, direct);
    });
  });
})();
