// The sign form of a campaign with signer groups: shows only the chosen group's section (its
// work address or its statement) and the visibility choices that group offers; before a group
// is chosen (there is no default among several), none of them. The form works without it: then
// every section is shown, and the server ignores the fields of the groups that were not chosen.
(function () {
  'use strict';

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }

  function start() {
    var form = document.querySelector('form[data-grouped]');
    if (!form) return;
    var radios = form.querySelectorAll('input[name="group"]');
    if (!radios.length) return;

    function chosen() {
      for (var i = 0; i < radios.length; i++) {
        if (radios[i].checked) return radios[i].value;
      }
      return null;
    }

    function update() {
      var key = chosen();
      each(form.querySelectorAll('[data-group-section]'), function (section) {
        var hide = section.getAttribute('data-group-section') !== key;
        section.hidden = hide;
        // Not sent, and not checked by the browser, while hidden.
        each(section.querySelectorAll('input'), function (input) {
          input.disabled = hide;
        });
      });
      var lost = false;
      each(form.querySelectorAll('[data-only-group]'), function (option) {
        var hide = option.getAttribute('data-only-group') !== key;
        option.hidden = hide;
        var input = option.querySelector('input');
        if (!input) return;
        if (hide && input.checked) {
          input.checked = false;
          lost = true;
        }
        input.disabled = hide;
      });
      if (lost) {
        // The choice made belongs to another group: fall back to the safest one left.
        var fallback = form.querySelector('input[name="visibility"][value="private"]');
        if (fallback) fallback.checked = true;
      }
    }

    each(radios, function (radio) {
      radio.addEventListener('change', update);
    });
    update();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
