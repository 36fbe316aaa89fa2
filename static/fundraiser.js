// Live totals on a fundraiser page: listens to the server-sent "totals" events and updates the
// total, the number of gifts, the progress bars and each line item. The page works without it.
(function () {
  'use strict';
  function start() {
    var box = document.querySelector('[data-fundraiser-events]');
    if (!box || typeof window.EventSource !== 'function') return;
    function set(sel, text) {
      var el = box.querySelector(sel);
      if (el) el.textContent = text;
    }
    function bar(el, goal, total) {
      if (!el) return;
      el.max = goal;
      el.value = Math.min(total, goal);
    }
    var es = new EventSource(box.getAttribute('data-fundraiser-events'));
    es.addEventListener('totals', function (ev) {
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      if (!d || typeof d.total !== 'number') return;
      set('[data-fr-total]', d.total_text);
      set('[data-fr-donations]', String(d.donations));
      set('[data-fr-noun]', d.donations === 1 ? 'gift' : 'gifts');
      set('[data-fr-percent]', String(d.percent));
      bar(box.querySelector('[data-fr-progress]'), d.goal, d.total);
      (d.items || []).forEach(function (it) {
        var li = box.querySelector('[data-fr-item="' + it.key + '"]');
        if (!li) return;
        var t = li.querySelector('[data-fr-item-total]');
        if (t) t.textContent = it.total_text;
        bar(li.querySelector('[data-fr-item-progress]'), it.goal, it.total);
      });
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
