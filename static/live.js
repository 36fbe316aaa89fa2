// Live count on a campaign page: listens to the server-sent "count" events of this campaign
// and updates the number, the progress bar and the counts by group without reloading. The
// page works without it; without EventSource (or with any error) it silently does nothing.
(function () {
  'use strict';

  function format(n) {
    // Same grouping as the server: 1234567 -> "1,234,567".
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  function start() {
    var box = document.querySelector('[data-events]');
    if (!box || typeof window.EventSource !== 'function' || typeof JSON === 'undefined') return;
    var countEl = box.querySelector('[data-count]');
    var nounEl = box.querySelector('[data-count-noun]');
    var percentEl = box.querySelector('[data-percent]');
    var bar = box.querySelector('[data-progress]');
    var shown = -1;

    var logSizeEl = box.querySelector('[data-log-size]');
    var logCountEl = box.querySelector('[data-log-count]');

    function applyGroups(groups) {
      // Counts by group: exact once shown, "fewer than K" below the anonymity floor.
      if (!groups || typeof groups.length !== 'number') return;
      for (var i = 0; i < groups.length; i++) {
        var g = groups[i];
        if (!g || typeof g.key !== 'string') continue;
        var els = box.querySelectorAll('[data-group-count]');
        for (var k = 0; k < els.length; k++) {
          if (els[k].getAttribute('data-group-count') !== g.key) continue;
          if (typeof g.confirmed === 'number') {
            els[k].textContent = format(g.confirmed);
          } else if (typeof g.fewer_than === 'number') {
            els[k].textContent = 'fewer than ' + g.fewer_than;
          }
        }
      }
    }

    function apply(data) {
      if (!data || typeof data.confirmed !== 'number') return;
      applyGroups(data.groups);
      if (data.log && typeof data.log.tree_size === 'number' &&
          typeof data.log.confirmed === 'number') {
        if (logSizeEl) logSizeEl.textContent = format(data.log.tree_size);
        if (logCountEl) logCountEl.textContent = format(data.log.confirmed);
      }
      var confirmed = data.confirmed;
      var goal = typeof data.goal === 'number' && data.goal > 0 ? data.goal : 0;
      if (confirmed === shown) return;
      shown = confirmed;
      if (countEl) countEl.textContent = format(confirmed);
      if (nounEl) nounEl.textContent = confirmed === 1 ? 'signature' : 'signatures';
      if (goal > 0) {
        var percent = confirmed >= goal ? 100 : Math.floor((confirmed * 100) / goal);
        if (percentEl) percentEl.textContent = String(percent);
        if (bar) {
          bar.max = goal;
          bar.value = Math.min(confirmed, goal);
          bar.textContent = percent + '%';
        }
      }
    }

    function handle(ev) {
      try {
        apply(JSON.parse(ev.data));
      } catch (e) {
        // Ignore a malformed event; the next one will do.
      }
    }

    function refresh() {
      // Catch up on anything that changed between rendering the page and connecting.
      var url = box.getAttribute('data-json');
      if (!url || typeof window.fetch !== 'function') return;
      window.fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(apply)
        .catch(function () {});
    }

    var source;
    try {
      source = new window.EventSource(box.getAttribute('data-events'));
    } catch (e) {
      return;
    }
    source.addEventListener('count', handle);
    source.onmessage = handle;
    source.onopen = refresh;
    // EventSource reconnects by itself after network errors; nothing to do here.
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
