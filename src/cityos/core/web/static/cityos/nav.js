// Site navigation.
// - Menus (details/summary): Enter or Space opens one; one is open at a time; Escape or a click
//   elsewhere closes it, and Escape puts the focus back on its name.
// - Wide screens: entries that would wrap onto a second line move into a "More" menu at the end.
// - Staff pages on narrow screens: the navigation and the language menu fold under a menu button.
// Without script every entry stays visible and the line wraps.
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  var list = header && header.querySelector(".site-nav .nav");
  if (!list) return;
  var wide = window.matchMedia("(min-width: 60rem)");

  // --- Menus -------------------------------------------------------------------------------
  // Close every open menu but ``except`` and the menus around it or inside it.
  function closeAll(except) {
    header.querySelectorAll(".nav-group details[open]").forEach(function (group) {
      if (!except || !(group.contains(except) || except.contains(group))) group.open = false;
    });
  }
  header.addEventListener("toggle", function (event) {
    var group = event.target;
    if (group.matches && group.matches(".nav-group details") && group.open) closeAll(group);
  }, true);  // toggle does not bubble: listen while it goes down
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".nav-group")) closeAll(null);
  });
  // Tabbing out of an open menu closes it, so it does not cover the page behind.
  header.addEventListener("focusout", function (event) {
    var next = event.relatedTarget;
    if (!next) return;  // a click: the click handler decides
    header.querySelectorAll(".nav-group details[open]").forEach(function (group) {
      if (!group.contains(next)) group.open = false;
    });
  });

  // --- Menu button (staff pages, narrow screens) ------------------------------------------
  var button = header.querySelector(".menu-button");
  var menu = document.getElementById("site-menu");
  var folding = Boolean(button && menu && document.body.classList.contains("ops"));
  function setFolded(folded) {
    button.setAttribute("aria-expanded", folded ? "false" : "true");
    menu.classList.toggle("open", !folded);
  }
  if (folding) {
    button.hidden = false;
    header.classList.add("menu-ready");
    button.addEventListener("click", function () {
      setFolded(button.getAttribute("aria-expanded") === "true");
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = header.querySelectorAll(".nav-group details[open]");
    if (open.length) {
      var innermost = open[open.length - 1];
      innermost.open = false;
      innermost.querySelector("summary").focus();
      return;
    }
    if (folding && !wide.matches && menu.classList.contains("open")) {
      setFolded(true);
      button.focus();
    }
  });

  // --- "More" on wide screens --------------------------------------------------------------
  var template = header.querySelector(".nav-more-template");
  if (!template || !template.content) return;
  var more = template.content.firstElementChild.cloneNode(true);
  var moreList = more.querySelector("ul");
  var moreNote = more.querySelector(".more-current");

  function wraps() {
    var last = list.lastElementChild, first = list.firstElementChild;
    return last && first && last.offsetTop > first.offsetTop;
  }

  function fit() {
    while (moreList.firstElementChild) list.insertBefore(moreList.firstElementChild, more);
    if (more.parentNode) more.remove();
    if (!wide.matches || !wraps()) return;
    list.appendChild(more);
    // Move entries from the end into "More" until the line no longer wraps (the first stays).
    while (wraps() && more.previousElementSibling && more.previousElementSibling !== list.firstElementChild) {
      moreList.insertBefore(more.previousElementSibling, moreList.firstElementChild);
    }
    var current = moreList.querySelector('[aria-current="page"], summary.current');
    more.querySelector("summary").classList.toggle("current", Boolean(current));
    moreNote.hidden = !current;
  }

  // Never under an open menu: the entries would move away from the reader. Once it closes.
  var pending = false, waiting = false;
  function refit() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      waiting = Boolean(header.querySelector(".nav-group details[open]"));
      if (!waiting) fit();
    });
  }
  header.addEventListener("toggle", function (event) {
    if (waiting && !event.target.open) refit();
  }, true);
  fit();
  window.addEventListener("resize", refit);
  window.addEventListener("load", refit);  // web fonts can change the widths
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(refit);
})();

// Tables wider than the screen scroll sideways inside their .table-wrap box. A box that scrolls
// must be reachable by keyboard (WCAG 2.1.1), so it becomes a focusable region named after its
// table's caption or the heading before it; boxes whose templates already say so are left alone.
(function () {
  "use strict";
  function label(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    for (var node = wrap.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
    }
    var heading = document.querySelector("main h1");
    return heading ? heading.textContent.trim() : document.title;
  }
  function mark() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var ours = wrap.hasAttribute("data-scroll-region");
      if (!ours && wrap.hasAttribute("role")) return;
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("data-scroll-region", "");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("aria-label", label(wrap));
      } else if (ours) {
        ["data-scroll-region", "role", "tabindex", "aria-label"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }
  var queued = false;
  function markSoon() {  // once a frame at most, however many resize events come
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () { queued = false; mark(); });
  }
  mark();
  window.addEventListener("load", markSoon);
  window.addEventListener("resize", markSoon);
  document.body.addEventListener("htmx:afterSettle", markSoon);  // partial pages swapped in
})();
