/**
 * The "Copy link" button beside the map: copies the address of the page as it is now (the view, the map date,
 * the map's centre and zoom, the chosen event: the dashboard keeps them all in the address) and says so.
 * Runs inside a Streamlit component frame of the same origin as the page, so it reads the page's address and
 * uses the page's clipboard (a frame's own clipboard access may be refused).
 */
(function () {
    'use strict';
    const button = document.getElementById('copy-link');
    const said = document.getElementById('copy-said');

    function pageAddress() {
        try {
            return window.parent.location.href;
        } catch {
            return document.referrer || window.location.href;
        }
    }

    function fallbackCopy(text) {
        const area = document.createElement('textarea');
        area.value = text;
        area.setAttribute('readonly', '');
        area.style.position = 'fixed';
        area.style.opacity = '0';
        document.body.appendChild(area);
        area.select();
        const done = document.execCommand('copy');
        document.body.removeChild(area);
        return done;
    }

    button.addEventListener('click', function () {
        const text = pageAddress();
        const clipboard = (window.parent && window.parent.navigator && window.parent.navigator.clipboard) ||
            navigator.clipboard;
        const tell = function (ok) {
            said.textContent = ok ? 'Link copied: paste it anywhere to reopen this view.'
                : 'Copying was refused by the browser: copy the address bar instead.';
        };
        if (clipboard && clipboard.writeText) {
            clipboard.writeText(text).then(function () { tell(true); }, function () { tell(fallbackCopy(text)); });
        } else {
            tell(fallbackCopy(text));
        }
    });
}());
