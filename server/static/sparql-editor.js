/* The SPARQL page with YASGUI (vendored in static/vendor/yasgui/): syntax highlighting, prefix completion, result
   tables with paging, share links. Without JavaScript (or if YASGUI fails to load) the plain form of sparql.html
   stays; with it the form is hidden and YASGUI edits the same query. The example queries of queries/ (the list
   below the editor) open in a tab of their own. External script only: the page's CSP allows no inline script. */
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  if (!root || typeof Yasgui === "undefined") {
    return;
  }
  var examples = JSON.parse(document.getElementById("sparql-examples").textContent);
  var endpoint = root.getAttribute("data-endpoint");
  var remote = ["class", "property"];  // they ask lov.linkeddata.es: this page talks to its own server only
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(function (name) {
    return remote.indexOf(name) < 0;
  });
  root.hidden = false;  // before YASGUI measures its editor
  var yasgui = new Yasgui(root, {
    requestConfig: {endpoint: endpoint, method: "POST"},
    copyEndpointOnNewTab: true,
    persistenceId: null,  // each visit starts from the page's query, not from an old session in localStorage
    populateFromUrl: false,
    endpointCatalogueOptions: {getData: function () { return [{endpoint: endpoint}]; }},
    yasqe: {resizeable: true, editorHeight: "22em"},
  });
  yasgui.getTab().setQuery(document.getElementById("query").value);
  document.getElementById("plain-form").hidden = true;

  function openExample(name) {
    var example = examples.filter(function (e) { return e.name === name; })[0];
    if (!example) {
      return false;
    }
    var open = Object.keys(yasgui._tabs).map(function (id) { return yasgui.getTab(id); })
      .filter(function (tab) { return tab.getName() === example.title; })[0];
    var tab = open ? yasgui.selectTabId(open.getId()) : yasgui.addTab(true, {name: example.title});
    tab.setQuery(example.sparql);
    return true;
  }

  document.querySelectorAll("a[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (openExample(link.getAttribute("data-example"))) {
        event.preventDefault();
        root.scrollIntoView();
      }
    });
  });
  var chosen = root.getAttribute("data-chosen");
  if (chosen) {
    yasgui.getTab().setName(examples.filter(function (e) { return e.name === chosen; }).map(function (e) {
      return e.title;
    })[0] || "Query");
  }
  window.senateKgYasgui = yasgui;  // for the console (and the browser test)
})();
