// The campaign page on a narrow screen: a long letter is folded to its first lines, with a
// button that shows the whole of it, so that the sign form is not screens away. Without this
// script (or on a wide screen, where the form stands beside the letter) the whole letter shows.
(function () {
  'use strict';

  function start() {
    var body = document.getElementById('letter-body');
    if (!body || !window.matchMedia('(max-width: 59.99rem)').matches) return;
    // Fold only a letter clearly longer than the folded height (about 14 lines).
    var folded = parseFloat(getComputedStyle(document.documentElement).fontSize) * 22;
    if (body.scrollHeight < folded * 1.4) return;
    body.classList.add('letter-folded');
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'letter-more';
    button.textContent = 'Read the whole letter';
    button.setAttribute('aria-controls', 'letter-body');
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', function () {
      body.classList.remove('letter-folded');
      button.setAttribute('aria-expanded', 'true');
      button.hidden = true;
    });
    body.parentNode.insertBefore(button, body.nextSibling);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
