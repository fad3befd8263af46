// Layout probe for the HTML report, injected into a copy of a rendered page by
// scripts/check_html.sh and tests/html_layout.rs (never part of a report). After load it
// writes, as JSON into <pre id="overflow-probe">:
//   width     the viewport width (document.documentElement.clientWidth)
//   scroll    the document's scroll width (wider than `width`: the page scrolls sideways)
//   height    the page height as first shown (folded sections closed)
//   open      the page height with every <details> open
//   boxes     how many charts (svg, [data-chart] and its rows) and tables were measured
//             (every <details> open)
//   overflow  chart or table boxes whose right edge passes the viewport (a box inside a scroll
//             container, such as a wide table in its own scrolling box, counts by the
//             container's edge)
//   clipped   svg text or shapes drawn outside their svg's box (cut off on screen)
//   sortable  whether the page's own table script ran (it marks its tables)
(function () {
  function rightEdge(el) {
    var box = el.getBoundingClientRect();
    var right = box.right + window.scrollX;
    for (var a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      var ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') {
        var c = a.getBoundingClientRect();
        return Math.min(right, c.right + window.scrollX);
      }
    }
    return right;
  }
  function describe(el) {
    var cls = el.getAttribute('class') || '';
    return el.tagName.toLowerCase() + (cls ? '.' + cls.split(/\s+/).join('.') : '');
  }
  function run() {
    var doc = document.documentElement;
    var out = { width: doc.clientWidth, height: doc.scrollHeight };
    var details = document.querySelectorAll('details');
    for (var i = 0; i < details.length; i++) details[i].open = true;
    out.open = doc.scrollHeight;
    out.scroll = doc.scrollWidth;
    out.boxes = 0;
    out.overflow = [];
    out.clipped = [];
    var els = document.querySelectorAll('svg, table, [data-chart], [data-chart] .row');
    for (var j = 0; j < els.length; j++) {
      var el = els[j];
      if (el.getClientRects().length === 0) continue; // not displayed (e.g. the other layout)
      if (el.tagName.toLowerCase() === 'svg' && el.ownerSVGElement) continue; // nested svg
      out.boxes++;
      var r = rightEdge(el);
      if (r > out.width + 0.5) out.overflow.push(describe(el) + ' right=' + r.toFixed(1));
      if (el.tagName.toLowerCase() !== 'svg') continue;
      var box = el.getBoundingClientRect();
      var shapes = el.querySelectorAll('text, circle, rect, line, polyline, path');
      for (var k = 0; k < shapes.length && out.clipped.length < 20; k++) {
        var b = shapes[k].getBoundingClientRect();
        if (b.width === 0 && b.height === 0) continue;
        if (b.left < box.left - 1 || b.top < box.top - 1 || b.right > box.right + 1 ||
            b.bottom > box.bottom + 1) {
          out.clipped.push(describe(el) + ' ' + shapes[k].tagName + ' "' +
            (shapes[k].textContent || '').slice(0, 30) + '"');
        }
      }
    }
    out.sortable = document.querySelectorAll('table[data-sortable="ready"]').length;
    var pre = document.createElement('pre');
    pre.id = 'overflow-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
    // Measured inside an <iframe> of the phone's or desktop's width: tell the host page.
    if (window.parent !== window) window.parent.postMessage(pre.textContent, '*');
  }
  if (document.readyState === 'complete') run(); else window.addEventListener('load', run);
})();
