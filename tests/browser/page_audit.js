// Run in each page of the built book, after MathJax has typeset it. Returns what the tests
// judge: it decides nothing itself. Prose is the article's text outside code, where raw
// TeX or a Python repr would be a defect (inside <pre>/<code> the same characters are fine).
// screenWidth is the width the page was opened at: not window.innerWidth, which a mobile
// browser widens to fit a page that is too wide (it zooms out), hiding the very defect.
(screenWidth) => {
  const article = document.querySelector("article.bd-article") || document.body;
  const NOT_PROSE = "pre, code, script, style, mjx-container, .highlight";

  const proseParts = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.parentElement.closest(NOT_PROSE)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  while (walker.nextNode()) proseParts.push(walker.currentNode.nodeValue);

  // The outermost elements whose right edge is past the screen's, skipping what an
  // ancestor scrolls or clips (a wide <pre> that scrolls inside itself is fine) and what is
  // fixed in place (the off-canvas sidebars).
  const describe = (element) =>
    element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
    [...element.classList].map((name) => "." + name).join("");
  const tooWide = [];
  const visit = (element) => {
    const style = getComputedStyle(element);
    if (style.display === "none" || style.position === "fixed") return;
    const right = element.getBoundingClientRect().right;
    if (right > screenWidth + 1) {
      tooWide.push(`${describe(element)} reaches ${Math.round(right)} px: ` +
                    `"${element.textContent.trim().replace(/\s+/g, " ").slice(0, 60)}"`);
      return;
    }
    if (style.overflowX === "visible") [...element.children].forEach(visit);
  };
  visit(document.body);

  // Every link in the article that follows the word "chapter" (or "chapters") in its block,
  // or whose own text starts with it: its text, where it leads, and the words before it.
  const BLOCK = "p, li, dt, dd, td, th, caption, figcaption, h1, h2, h3, h4, h5, h6";
  const chapterLinks = [];
  for (const link of article.querySelectorAll("a[href]")) {
    const range = document.createRange();
    range.setStart(link.closest(BLOCK) || article, 0);
    range.setEndBefore(link);
    const before = range.toString().replace(/\s+/g, " ");
    const text = link.textContent.trim().replace(/\s+/g, " ");
    const afterTheWord = /\bchapters?\s*$/i.test(before);
    if (afterTheWord || /^chapters?\b/i.test(text)) {
      chapterLinks.push({ before: before.slice(-40), text, href: link.href, afterTheWord });
    }
  }

  return {
    prose: proseParts.join(""),
    mathjaxErrors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map(
      (node) => node.getAttribute("data-mjx-error") || node.textContent),
    images: [...document.images].map((img) => ({
      src: img.currentSrc || img.src,
      alt: img.getAttribute("alt"),
      loaded: img.complete && img.naturalWidth > 0,
    })),
    footer: [...document.querySelectorAll("footer")].map((footer) => footer.textContent).join(" "),
    scrollWidth: document.documentElement.scrollWidth,
    tooWide,
    chapterLinks,
  };
}
