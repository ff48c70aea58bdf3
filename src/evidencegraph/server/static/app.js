// The query page: the named queries as examples, a SPARQL editor (YASQE, YASGUI's editor,
// from static/vendor/yasqe; the plain text area when it did not load), results as a table
// with links into the resource pages and the study pages' badges for claim statuses, errors
// with their line marked in the editor, and downloads in each format. Plain JavaScript: no
// build step, nothing fetched from anywhere but this server.
(function () {
  "use strict";

  var FLAGSHIP = "drug-with-psychotherapy";
  var BASE = "https://w3id.org/evidencegraph/";
  var ONTOLOGY = BASE + "ontology#";
  // IRI prefix -> local path prefix, as server/urls.py maps them
  var MOUNTS = [
    [BASE + "id/", "/id/"], [BASE + "vocab/", "/vocab/"], [BASE + "graph/", "/graph/"]
  ];
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var PREFIXES = {
    eg: ONTOLOGY, egv: BASE + "vocab/", egid: BASE + "id/",
    rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    rdfs: "http://www.w3.org/2000/01/rdf-schema#", xsd: XSD,
    owl: "http://www.w3.org/2002/07/owl#", skos: "http://www.w3.org/2004/02/skos/core#",
    dcterms: "http://purl.org/dc/terms/", prov: "http://www.w3.org/ns/prov#",
    sh: "http://www.w3.org/ns/shacl#"
  };
  // What the page asks /sparql for: results for SELECT and ASK, N-Triples (one triple a
  // line, easy to lay out as a table) for CONSTRUCT and DESCRIBE. The server answers in
  // whichever fits the query, so the page need not be sure of the query's form.
  var RESULTS = "application/sparql-results+json";
  var TRIPLES = "application/n-triples";
  var DOWNLOADS = {
    results: [
      ["JSON", "application/sparql-results+json", "json"],
      ["XML", "application/sparql-results+xml", "xml"],
      ["CSV", "text/csv", "csv"],
      ["TSV", "text/tab-separated-values", "tsv"]
    ],
    graph: [
      ["Turtle", "text/turtle", "ttl"],
      ["N-Triples", "application/n-triples", "nt"],
      ["JSON-LD", "application/ld+json", "jsonld"],
      ["RDF/XML", "application/rdf+xml", "rdf"]
    ]
  };

  // Rows laid out in the table at most: a browser slows down on more; downloads hold all.
  var MAX_SHOWN = 2000;

  // The verification statuses of claims (egv:VerificationStatusScheme): local name -> label,
  // as the server wrote them into the page from the model (data-statuses). A results cell
  // shows one as the study page's badge: the concept's IRI, or its label in a column named
  // for a status (the named queries project the label as ?status).
  var STATUSES = {};
  var STATUS_COLUMN = /(^|_)(status|verification|verificationstatus)$/i;
  // "SPARQL syntax error at line 3 column 2: ..." (store/core.py describe_syntax_error)
  var ERROR_PLACE = /\bline (\d+) column (\d+)\b/;

  var $ = function (id) { return document.getElementById(id); };
  var editor, examples, queries = {}, lastRun = null, typed = {};
  var yasqe = null, errorMarks = [], sentPlaces = [];

  // --- the editor: YASQE when it loaded, else the text area ---------------------------------

  function queryText() { return yasqe ? yasqe.getValue() : editor.value; }

  function setQueryText(text) {
    clearErrorMark();
    if (yasqe) { yasqe.setValue(text); } else { editor.value = text; }
    showParameters();
  }

  function startEditor() {
    editor = $("query");
    if (typeof window.Yasqe !== "function") { return; } // the text area does the job
    var box = $("editor");
    box.hidden = false;
    editor.hidden = true;
    yasqe = new window.Yasqe(box, {
      value: editor.value,
      // the query is not kept in the browser (YASQE keeps only its bundled prefix list in
      // localStorage), read from the URL, or offered as a link elsewhere
      persistenceId: null,
      consumeShareLink: null,
      createShareableLink: null,
      showQueryButton: false,
      // the prefixes YASQE bundles, and the query's variables: no lookup on the network
      autocompleters: ["variables", "prefixes"],
      prefixCcApi: null,
      requestConfig: { endpoint: "/sparql" },
      indentUnit: 2,
      editorHeight: "22em",
      resizeable: true
    });
    var keys = Object.assign({}, yasqe.getOption("extraKeys"));
    delete keys["Ctrl-S"]; // YASQE's "save" keeps the query in localStorage
    keys["Ctrl-Enter"] = function () { run(); };
    keys["Cmd-Enter"] = function () { run(); };
    // Tab indents by two spaces, as the named queries are written (CodeMirror inserts a tab)
    keys.Tab = function (cm) {
      if (cm.somethingSelected()) { cm.indentSelection("add"); } else { cm.replaceSelection("  ", "end"); }
    };
    yasqe.setOption("extraKeys", keys);
    yasqe.on("change", function () {
      clearErrorMark();
      showParameters();
    });
    yasqe.getInputField().setAttribute("aria-label", "SPARQL query");
  }

  // The line (and from the column on) where the server's parser stopped, marked in the editor.
  function markErrorPlace(message) {
    var place = ERROR_PLACE.exec(message);
    if (!place) { return; }
    var line = parseInt(place[1], 10) - 1, column = parseInt(place[2], 10) - 1;
    if (sentPlaces.length) { // the server counted columns in the text with VALUES inserted
      var editorLines = queryText().split("\n"), lineStart = 0;
      for (var n = 0; n < line && n < editorLines.length; n++) {
        lineStart += editorLines[n].length + 1;
      }
      var sentLineStart = lineStart; // the lines above are longer by what went into them
      sentPlaces.forEach(function (at) { if (at[0] < lineStart) { sentLineStart += at[1]; } });
      column = editorOffset(sentLineStart + column) - lineStart;
    }
    if (!yasqe) {
      var lines = editor.value.split("\n"), offset = 0;
      for (var i = 0; i < line && i < lines.length; i++) { offset += lines[i].length + 1; }
      editor.focus();
      editor.setSelectionRange(offset, offset + (lines[line] || "").length);
      return;
    }
    if (line < 0 || line >= yasqe.lineCount()) { return; }
    var handle = yasqe.addLineClass(line, "wrap", "eg-error-line");
    var length = yasqe.getLine(line).length;
    var from = Math.min(Math.max(column, 0), length), to = length;
    // the parser names the place right after the word it could not take: underline that
    // word; where it names the start of a blank, the rest of the line
    var token = yasqe.getTokenAt({ line: line, ch: from }, true);
    if (token && token.string.trim() && token.end >= from) { from = token.start; to = token.end; }
    var mark = yasqe.markText({ line: line, ch: from }, { line: line, ch: Math.max(to, from) },
                              { className: "eg-error-place", title: message });
    errorMarks = [[handle, mark]];
    yasqe.scrollIntoView({ line: line, ch: from }, 80);
    yasqe.setCursor({ line: line, ch: from });
  }

  function clearErrorMark() {
    errorMarks.forEach(function (pair) {
      if (yasqe) { yasqe.removeLineClass(pair[0], "wrap", "eg-error-line"); }
      pair[1].clear();
    });
    errorMarks = [];
  }

  // --- IRIs and their pages ---------------------------------------------------------------

  // The local path of an IRI under the project's base (server/urls.py local_path), or null.
  function localPath(iri) {
    if (iri === ONTOLOGY || iri === ONTOLOGY.slice(0, -1)) { return "/ontology"; }
    if (iri.indexOf(ONTOLOGY) === 0) { return "/ontology#" + quote(iri.slice(ONTOLOGY.length)); }
    for (var i = 0; i < MOUNTS.length; i++) {
      var prefix = MOUNTS[i][0];
      if (iri.indexOf(prefix) === 0 && iri.length > prefix.length) {
        return MOUNTS[i][1] + quote(iri.slice(prefix.length));
      }
    }
    return null;
  }

  // Percent-encoding as Python's quote(text, safe="/:@!$&'()*+,;=-._~")
  function quote(text) {
    return encodeURIComponent(text).replace(/%(2F|3A|40|24|26|2B|2C|3B|3D)/gi, function (m) {
      return decodeURIComponent(m);
    });
  }

  function compact(iri) {
    var best = "", name = "";
    Object.keys(PREFIXES).forEach(function (prefix) {
      var ns = PREFIXES[prefix];
      if (iri.indexOf(ns) === 0 && ns.length > best.length) { best = ns; name = prefix; }
    });
    return best ? name + ":" + iri.slice(best.length) : iri;
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  // A claim's verification status as the study page draws it (templates/resource.html).
  function statusBadge(name) {
    var badge = element("a", STATUSES[name], "status status-" + name.toLowerCase());
    badge.href = "/vocab/" + name;
    badge.title = "egv:" + name;
    return badge;
  }

  // The status a term names: its concept's IRI, or its label in a status column; or null.
  function statusOf(term, column) {
    if (term.type === "uri" && term.value.indexOf(PREFIXES.egv) === 0) {
      var local = term.value.slice(PREFIXES.egv.length);
      return STATUSES.hasOwnProperty(local) ? local : null;
    }
    if (term.type === "literal" && column && STATUS_COLUMN.test(column)) {
      var label = term.value.trim().toLowerCase();
      for (var name in STATUSES) {
        if (STATUSES.hasOwnProperty(name) && STATUSES[name] === label) { return name; }
      }
    }
    return null;
  }

  // An RDF term (SPARQL JSON results shape) as a node: IRIs as links, literals as text, claim
  // statuses as badges (``column``: the variable's name).
  function termNode(term, column) {
    if (!term) { return element("span", "", "unbound"); }
    var status = statusOf(term, column);
    if (status) { return statusBadge(status); }
    if (term.type === "uri") {
      var local = localPath(term.value);
      var safe = /^https?:\/\//.test(term.value);
      if (!local && !safe) { return element("code", term.value); }
      var link = element("a", local ? compact(term.value) : term.value);
      link.href = local || term.value;
      link.title = term.value;
      if (!local) { link.className = "external"; }
      return link;
    }
    if (term.type === "bnode") { return element("span", "_:" + term.value, "bnode"); }
    var span = element("span", term.value);
    var lang = term["xml:lang"], datatype = term.datatype;
    if (lang) {
      span.appendChild(element("span", " @" + lang, "lang"));
    } else if (datatype && datatype !== XSD + "string") {
      span.title = compact(datatype);
    }
    return span;
  }

  // --- query text: form, header, parameters -----------------------------------------------

  // The tokens of a query, as store/values_binding.py reads them.
  var TOKEN = new RegExp(
    "(\\s+)|(#[^\\n\\r]*)" +
    "|('''(?:(?:'|'')?(?:[^'\\\\]|\\\\[\\s\\S]))*'''" +
    "|\"\"\"(?:(?:\"|\"\")?(?:[^\"\\\\]|\\\\[\\s\\S]))*\"\"\"" +
    "|'(?:[^'\\\\\\n\\r]|\\\\[\\s\\S])*'|\"(?:[^\"\\\\\\n\\r]|\\\\[\\s\\S])*\")" +
    "|(<[^<>\"{}|^`\\\\\\x00-\\x20]*>)|([?$]\\w+)|((?:[\\w\\-.:%]|\\\\[\\s\\S])+)|([\\s\\S])",
    "g"
  );
  var KINDS = [null, "space", "comment", "string", "iri", "variable", "word", "other"];

  function tokenize(text) {
    var tokens = [], match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      for (var k = 1; k < KINDS.length; k++) {
        if (match[k] !== undefined) {
          if (k > 2) {
            tokens.push({
              kind: KINDS[k], text: match[0], start: match.index,
              end: match.index + match[0].length,
              keyword: KINDS[k] === "word" ? match[0].toUpperCase() : ""
            });
          }
          break;
        }
      }
    }
    return tokens;
  }

  var FORMS = ["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"];

  function queryForm(text) {
    var tokens = tokenize(text);
    for (var i = 0; i < tokens.length; i++) {
      if (FORMS.indexOf(tokens[i].keyword) >= 0) { return tokens[i].keyword; }
    }
    return "SELECT";
  }

  // The parameters a query declares in its header ("# param: NAME KIND [DEFAULT] -- WHAT"),
  // as the named queries do (queries/__init__.py).
  function declaredParameters(text) {
    var found = [], lines = text.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line) { continue; }
      if (line.charAt(0) !== "#") { break; }
      var header = /^#\s*param\s*:\s*(.*)$/.exec(line);
      if (!header) { continue; }
      var param = /^([A-Za-z_][A-Za-z0-9_]*)\s+(\w+)(?:\s+(.*?))?\s*--\s*(.+)$/.exec(header[1]);
      if (param) {
        found.push({ name: param[1], kind: param[2], default: param[3] || null,
                     description: param[4] });
      }
    }
    return found;
  }

  // A parameter's value as an RDF term in SPARQL syntax, by its kind.
  function termText(parameter, value) {
    var text = value.trim();
    if (parameter.kind === "literal") {
      return "\"" + value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")
        .replace(/\n/g, "\\n").replace(/\r/g, "\\r") + "\"";
    }
    if (parameter.kind === "integer") {
      if (!/^[+-]?\d+$/.test(text)) { throw new Error(parameter.name + ": not an integer"); }
      return "\"" + text + "\"^^<" + XSD + "integer>";
    }
    if (parameter.kind === "decimal") {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) {
        throw new Error(parameter.name + ": not a decimal number");
      }
      return "\"" + text + "\"^^<" + XSD + "decimal>";
    }
    if (parameter.kind === "iri" || (parameter.kind === "term" && !/^["'<\d+\-.]|^(true|false)$/.test(text))) {
      var iri = text.replace(/^<(.*)>$/, "$1");
      var colon = iri.indexOf(":");
      if (colon > 0 && PREFIXES[iri.slice(0, colon)] && iri.slice(colon + 1, colon + 3) !== "//") {
        iri = PREFIXES[iri.slice(0, colon)] + iri.slice(colon + 1);
      }
      if (!/^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|^`\\]+$/.test(iri)) {
        throw new Error(parameter.name + ": not an IRI or a CURIE with a known prefix");
      }
      return "<" + iri + ">";
    }
    return text; // a term written in SPARQL syntax
  }

  // The query with each parameter bound by VALUES in every group where it is in scope: a
  // port of store/values_binding.py's bind_by_values (sub-SELECTs see only the variables
  // they project), so that the text runs on any SPARQL endpoint. ``places``, when given, is
  // filled with [offset, length] of each text inserted (to map the server's error back).
  function bindByValues(text, bindings, places) {
    var names = Object.keys(bindings).sort();
    if (!names.length) { return text; }
    var tokens = tokenize(text), matching = {}, opened = [], insertions = [];
    tokens.forEach(function (token, index) {
      if (token.text === "{") { opened.push(index); }
      if (token.text === "}" && opened.length) { matching[opened.pop()] = index; }
    });
    opened.forEach(function (index) { matching[index] = tokens.length - 1; });
    var form = -1;
    for (var f = 0; f < tokens.length; f++) {
      if (FORMS.indexOf(tokens[f].keyword) >= 0) { form = f; break; }
    }
    if (form < 0) { return text; }
    var start = form + 1;
    if (tokens[form].keyword === "CONSTRUCT" && tokens[start] && tokens[start].text === "{") {
      start = matching[start] + 1; // the template holds no groups
    }

    function values(live) {
      return live.map(function (name) {
        return " VALUES ?" + name + " { " + bindings[name] + " }";
      }).join("");
    }

    function projected(select, close, live) {
      var depth = 0, seen = {}, star = false;
      for (var i = select + 1; i < close; i++) {
        var token = tokens[i];
        if (token.text === "{" || (depth === 0 && token.keyword === "WHERE")) { break; }
        if (token.text === "(") { depth += 1; }
        else if (token.text === ")") { depth -= 1; }
        else if (depth === 0 && token.text === "*") { star = true; }
        else if (depth === 0 && token.kind === "variable") { seen[token.text.slice(1)] = true; }
      }
      return live.filter(function (name) { return star || seen[name]; });
    }

    // the live variables a nested group names anywhere inside it: one that names none gets
    // no VALUES, so a UNION branch or OPTIONAL of one pattern stays one (decision 0031)
    function used(open, close, live) {
      var named = {};
      for (var i = open + 1; i < close; i++) {
        if (tokens[i].kind === "variable") { named[tokens[i].text.slice(1)] = true; }
      }
      return live.filter(function (name) { return named[name]; });
    }

    function walk(from, to, live, nested) {
      var index = from;
      while (index < to) {
        var token = tokens[index];
        if (token.keyword === "VALUES") { // a data block: its braces hold terms
          while (index < to && tokens[index].text !== "{") { index += 1; }
          index = (matching[index] || index) + 1;
          continue;
        }
        if (token.keyword === "AS" && tokens[index + 1] &&
            live.indexOf(tokens[index + 1].text.slice(1)) >= 0 &&
            tokens[index + 1].kind === "variable") {
          throw new Error("the query assigns " + tokens[index + 1].text +
                          " itself (… AS " + tokens[index + 1].text + "): rename the parameter");
        }
        if (token.text === "{") {
          var close = matching[index], first = tokens[index + 1];
          if (first && index + 1 < close && first.keyword === "SELECT") {
            walk(index + 1, close, projected(index + 1, close, live), false);
          } else {
            var afterMinus = index > 0 && tokens[index - 1].keyword === "MINUS";
            var bound = nested && !afterMinus ? used(index, close, live) : live;
            if (bound.length) { insertions.push([token.end, values(bound)]); }
            walk(index + 1, close, live, true);
          }
          index = close + 1;
          continue;
        }
        index += 1;
      }
    }

    walk(start, tokens.length, names, false);
    if (places) {
      insertions.forEach(function (insert) { places.push([insert[0], insert[1].length]); });
      places.sort(function (a, b) { return a[0] - b[0]; });
    }
    insertions.sort(function (a, b) { return b[0] - a[0]; });
    insertions.forEach(function (insert) {
      text = text.slice(0, insert[0]) + insert[1] + text.slice(insert[0]);
    });
    return text;
  }

  // --- the parameters' fields -------------------------------------------------------------

  function showParameters() {
    var box = $("parameters");
    var declared = declaredParameters(queryText());
    var shown = Array.prototype.map.call(box.querySelectorAll("input"), function (input) {
      return input.name;
    }).join(" ");
    if (shown === declared.map(function (p) { return p.name; }).join(" ")) { return; }
    box.textContent = "";
    declared.forEach(function (parameter) {
      var label = element("label", parameter.name + " ");
      var input = element("input");
      input.name = parameter.name;
      input.value = typed[parameter.name] !== undefined ? typed[parameter.name]
        : (parameter.default || "");
      input.title = parameter.description;
      input.placeholder = parameter.kind;
      input.addEventListener("input", function () { typed[input.name] = input.value; });
      input.addEventListener("keydown", runOnControlEnter);
      label.appendChild(input);
      box.appendChild(label);
      box.appendChild(element("span", parameter.description, "note"));
    });
  }

  // The editor's text with its declared parameters bound to the values in their fields.
  function boundQuery() {
    var text = queryText(), bindings = {};
    declaredParameters(text).forEach(function (parameter) {
      var input = $("parameters").querySelector("input[name=\"" + parameter.name + "\"]");
      var value = input ? input.value : (parameter.default || "");
      if (value === "") { throw new Error("the parameter " + parameter.name + " needs a value"); }
      bindings[parameter.name] = termText(parameter, value);
    });
    sentPlaces = [];
    return bindByValues(text, bindings, sentPlaces);
  }

  // The offset in the editor's text of an offset in the text sent (which has the parameters'
  // VALUES inserted): a place inside an insertion maps to where it was inserted.
  function editorOffset(sent) {
    var shift = 0;
    for (var i = 0; i < sentPlaces.length; i++) {
      var start = sentPlaces[i][0] + shift;
      if (sent < start) { break; }
      if (sent < start + sentPlaces[i][1]) { return sentPlaces[i][0]; }
      shift += sentPlaces[i][1];
    }
    return sent - shift;
  }

  // --- running a query --------------------------------------------------------------------

  function setStatus(text) { $("status").textContent = text; }

  function showError(text) {
    var box = $("error");
    box.textContent = text;
    box.hidden = !text;
  }

  // A failed run leaves no answer on screen that could be taken for this query's.
  function clearResults() {
    $("results").textContent = "";
    $("downloads").hidden = true;
    lastRun = null;
  }

  async function errorText(response) {
    var body = await response.text();
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") >= 0) {
      try {
        var data = JSON.parse(body);
        body = data.message || data.error || data.detail || body;
      } catch (ignored) { /* keep the text as it came */ }
    }
    return response.status + " " + response.statusText + ": " + body.trim();
  }

  function post(query, accept) {
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": accept },
      body: query
    });
  }

  async function run() {
    var query;
    showError("");
    clearErrorMark();
    try {
      query = boundQuery();
    } catch (error) {
      clearResults();
      showError(error.message);
      return;
    }
    var form = queryForm(query);
    var accept = form === "CONSTRUCT" || form === "DESCRIBE"
      ? TRIPLES + ", " + RESULTS + ";q=0.9" : RESULTS + ", " + TRIPLES + ";q=0.9";
    $("run").disabled = true;
    setStatus("Running…");
    var started = performance.now();
    try {
      var response = await post(query, accept);
      if (!response.ok) {
        var message = await errorText(response);
        clearResults();
        showError(message);
        if (response.status === 400) { markErrorPlace(message); }
        setStatus("");
        return;
      }
      var type = response.headers.get("Content-Type") || "";
      var body = await response.text();
      var seconds = ((performance.now() - started) / 1000).toFixed(2);
      var kind = type.indexOf("n-triples") >= 0 ? "graph" : "results";
      var count = kind === "graph" ? showTriples(body) : showResults(JSON.parse(body));
      lastRun = { query: query, kind: kind };
      showDownloads(kind);
      setStatus(count + " in " + seconds + " s");
    } catch (error) {
      clearResults();
      showError("The query could not be sent or its answer read: " + error.message);
      setStatus("");
    } finally {
      $("run").disabled = false;
    }
  }

  // The rows as a table (cells() makes a row's cells), the first MAX_SHOWN of them, with a
  // note when there are more.
  function showTable(headers, rows, cells) {
    var box = $("results");
    box.textContent = "";
    if (rows.length > MAX_SHOWN) {
      box.appendChild(element("p", "The first " + MAX_SHOWN.toLocaleString("en") + " of " +
        rows.length.toLocaleString("en") + " are shown; download the answer for all of them.",
        "note"));
    }
    box.appendChild(table(headers, rows.slice(0, MAX_SHOWN).map(cells)));
  }

  function table(headers, rows) {
    var result = element("table"), head = element("tr");
    headers.forEach(function (name) { head.appendChild(element("th", name)); });
    result.appendChild(head);
    rows.forEach(function (cells) {
      var row = element("tr");
      cells.forEach(function (cell) {
        var td = element("td");
        td.appendChild(cell);
        row.appendChild(td);
      });
      result.appendChild(row);
    });
    return result;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function showResults(data) {
    var box = $("results");
    box.textContent = "";
    if (typeof data.boolean === "boolean") {
      box.appendChild(element("p", "Answer: " + data.boolean, "answer"));
      return "yes/no answer";
    }
    var names = data.head.vars || [], bindings = data.results.bindings || [];
    showTable(names, bindings, function (binding) {
      return names.map(function (name) { return termNode(binding[name], name); });
    });
    return plural(bindings.length, "row");
  }

  // N-Triples as a table: one triple a line, each term an IRI, a blank node or a literal.
  var NT_TERM = /<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?/g;

  function unescapeLiteral(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, function (match, code) {
      if (code.length > 1) { return String.fromCodePoint(parseInt(code.slice(1), 16)); }
      return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f" }[code] || code;
    });
  }

  function showTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      var terms = [], match;
      NT_TERM.lastIndex = 0;
      while ((match = NT_TERM.exec(line)) !== null && terms.length < 3) {
        if (match[1] !== undefined) { terms.push({ type: "uri", value: match[1] }); }
        else if (match[2] !== undefined) { terms.push({ type: "bnode", value: match[2] }); }
        else {
          terms.push({ type: "literal", value: unescapeLiteral(match[3]),
                       "xml:lang": match[4], datatype: match[5] });
        }
      }
      if (terms.length === 3) { rows.push(terms); }
    });
    showTable(["subject", "predicate", "object"], rows, function (terms) {
      return terms.map(termNode);
    });
    return plural(rows.length, "triple");
  }

  // --- downloads --------------------------------------------------------------------------

  function showDownloads(kind) {
    var box = $("downloads");
    box.textContent = "Download: ";
    DOWNLOADS[kind].forEach(function (format) {
      var button = element("button", format[0]);
      button.type = "button";
      button.title = format[1];
      button.addEventListener("click", function () { download(format); });
      box.appendChild(button);
    });
    box.hidden = false;
  }

  // A link cannot send an Accept header: fetch the answer and hand it over as a file.
  async function download(format) {
    if (!lastRun) { return; }
    showError("");
    try {
      var response = await post(lastRun.query, format[1]);
      if (!response.ok) {
        showError(await errorText(response));
        return;
      }
      var url = URL.createObjectURL(await response.blob());
      var link = element("a");
      link.href = url;
      link.download = (lastRun.kind === "graph" ? "graph." : "results.") + format[2];
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    } catch (error) {
      showError("The download failed: " + error.message);
    }
  }

  // --- the named queries ------------------------------------------------------------------

  // A named query's text for the editor: its title and description are shown above it, so
  // only the header's "# param:" lines stay (they make the parameters' fields).
  function editorText(text) {
    var lines = text.split("\n"), start = 0;
    while (start < lines.length && /^#\s*(title|description)\s*:/.test(lines[start])) {
      start += 1;
    }
    return lines.slice(start).join("\n");
  }

  function choose(name, values) {
    var query = queries[name];
    if (!query) { return; }
    typed = values || {};
    $("parameters").textContent = "";
    $("description").textContent = query.description || "";
    setQueryText(editorText(query.text));
  }

  async function loadExamples() {
    try {
      var response = await fetch("/queries", { headers: { "Accept": "application/json" } });
      if (!response.ok) { throw new Error(await errorText(response)); }
      var list = await response.json();
      examples.textContent = "";
      list.forEach(function (query) {
        queries[query.name] = query;
        var option = element("option", query.title || query.name);
        option.value = query.name;
        examples.appendChild(option);
      });
      // /?named=NAME&PARAM=VALUE (the Run buttons of /queries): that query, run at once
      var asked = new URLSearchParams(window.location.search), named = asked.get("named");
      if (named && queries[named]) {
        var values = {};
        (queries[named].parameters || []).forEach(function (parameter) {
          if (asked.has(parameter.name)) { values[parameter.name] = asked.get(parameter.name); }
        });
        examples.value = named;
        choose(named, values);
        run();
        return;
      }
      if (named) { showError("There is no named query " + JSON.stringify(named) + " (see /queries)."); }
      var first = queries[FLAGSHIP] ? FLAGSHIP : (list[0] && list[0].name);
      if (first) {
        examples.value = first;
        choose(first);
      }
    } catch (error) {
      examples.textContent = "";
      examples.appendChild(element("option", "(the named queries could not be loaded)"));
      showError("The named queries could not be loaded: " + error.message);
    }
  }

  // --- the editor's keys ------------------------------------------------------------------

  function runOnControlEnter(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  }

  function onEditorKey(event) {
    if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      event.preventDefault();
      var start = editor.selectionStart, end = editor.selectionEnd;
      editor.setRangeText("  ", start, end, "end");
      return;
    }
    runOnControlEnter(event);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var statuses = document.querySelector("[data-statuses]");
    STATUSES = statuses ? JSON.parse(statuses.getAttribute("data-statuses")) : {};
    startEditor();
    examples = $("examples");
    editor.addEventListener("keydown", onEditorKey);
    editor.addEventListener("input", function () { clearErrorMark(); showParameters(); });
    examples.addEventListener("change", function () { choose(examples.value); });
    $("run").addEventListener("click", run);
    showParameters();
    loadExamples();
  });

  // for tests and the curious: the pieces that do not touch the page
  window.evidencegraph = {
    localPath: localPath, queryForm: queryForm, bindByValues: bindByValues,
    declaredParameters: declaredParameters, queryText: queryText, setQueryText: setQueryText,
    editorText: editorText
  };
})();
