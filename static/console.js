// The console's live Markdown preview: as the organizer types a letter, the server renders it
// (the same renderer as the campaign page: no raw HTML gets through) into the preview box.
// Without JavaScript the form's "Preview" button does the same with a page load.
(function () {
  'use strict';
  document.querySelectorAll('textarea[data-preview]').forEach(function (area) {
    var box = document.getElementById(area.getAttribute('data-preview'));
    var form = area.form;
    if (!box || !form || !form.elements.csrf) return;
    var timer = null;
    var sent = 0;
    function render() {
      var mine = ++sent;
      var body = new URLSearchParams();
      body.set('csrf', form.elements.csrf.value);
      body.set('markdown', area.value);
      fetch('/console/preview', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: body.toString()
      }).then(function (r) {
        if (!r.ok) throw new Error('preview ' + r.status);
        return r.text();
      }).then(function (html) {
        if (mine === sent) box.innerHTML = html;  // only the latest answer
      }).catch(function () { /* the Preview button still works */ });
    }
    area.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    if (area.value) render();
  });
})();
