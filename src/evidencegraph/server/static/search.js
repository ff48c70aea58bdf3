// The search box on every page (issue 20 point 3): as one types, ask /search for JSON and
// list what it names; arrows and Enter choose, Escape closes. Without this script the form
// still works: it opens /search?q=… as a page.
"use strict";

(function () {
  const box = document.getElementById("site-search");
  const list = document.getElementById("site-search-results");
  if (!box || !list) return;
  let asked = 0; // the latest request's number: an older answer arriving late is dropped
  let timer = null;
  let chosen = -1;

  function close() {
    box.setAttribute("aria-expanded", "false");
    list.hidden = true;
    list.replaceChildren();
    chosen = -1;
  }

  function show(results, query) {
    list.replaceChildren();
    chosen = -1;
    if (!results.length) {
      const empty = document.createElement("li");
      empty.className = "none";
      empty.textContent = `Nothing is named “${query}”`;
      list.append(empty);
    }
    for (const hit of results) {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      const link = document.createElement("a");
      link.href = hit.href;
      link.textContent = hit.name;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = hit.matched ? `${hit.kind} · ${hit.matched}` : hit.kind;
      item.append(link, " ", kind);
      list.append(item);
    }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
  }

  async function ask(query) {
    const number = ++asked;
    try {
      const answer = await fetch(`/search?format=json&q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (number !== asked) return;
      if (!answer.ok) {
        close();
        return;
      }
      const found = await answer.json();
      if (number === asked) show(found.results, query);
    } catch (error) {
      if (number === asked) close();
    }
  }

  function move(step) {
    const links = list.querySelectorAll("a");
    if (!links.length) return;
    chosen = (chosen + step + links.length) % links.length;
    links.forEach((link, index) => link.classList.toggle("chosen", index === chosen));
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    const query = box.value.trim();
    if (!query) {
      asked++;
      close();
      return;
    }
    timer = setTimeout(() => ask(query), 120);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && chosen >= 0) {
      event.preventDefault();
      list.querySelectorAll("a")[chosen].click();
    } else if (event.key === "Escape") {
      close();
    }
  });
  document.addEventListener("click", (event) => {
    if (!box.form.contains(event.target)) close();
  });
})();
