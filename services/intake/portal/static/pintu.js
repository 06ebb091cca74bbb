// Quicker pickers where JavaScript runs; every form works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  var levels = ["province", "regency", "district", "village"];
  function clearFrom(index) {
    for (var i = index; i < levels.length; i++) {
      var select = document.getElementById(levels[i]);
      if (!select) continue;
      while (select.options.length > 1) select.remove(1);
      select.disabled = true;
    }
  }
  function fill(select, items, valueKey) {
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item[valueKey];
      option.textContent = item.name;
      select.appendChild(option);
    });
  }
  levels.forEach(function (level, index) {
    var select = document.getElementById(level);
    if (!select) return;
    select.addEventListener("change", function () {
      clearFrom(index + 1);
      var code = select.value;
      var local = document.querySelector('#agency_hint optgroup[data-group="local"]');
      if (level === "province" && local) local.remove();
      if (!code) return;
      fetch("/wilayah/" + encodeURIComponent(code) + ".json", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          var next = document.getElementById(levels[index + 1]);
          if (next && body.children.length) { fill(next, body.children, "code"); next.disabled = false; }
          var hint = document.getElementById("agency_hint");
          if (body.agencies && hint) {
            var group = document.createElement("optgroup");
            group.label = hint.getAttribute("data-local-label") || "";
            group.setAttribute("data-group", "local");
            fill(group, body.agencies, "id");
            hint.appendChild(group);
          }
        });
    });
  });

  var search = document.getElementById("category-search");
  var category = document.getElementById("category");
  if (search && category) {
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase();
      Array.prototype.forEach.call(category.options, function (option, i) {
        option.hidden = i > 0 && option.textContent.toLowerCase().indexOf(words) < 0;
      });
    });
  }

  var locate = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      status.textContent = locate.getAttribute("data-wait") || "";
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("latitude").value = position.coords.latitude.toFixed(5);
        document.getElementById("longitude").value = position.coords.longitude.toFixed(5);
        var details = locate.parentNode.querySelector("details");
        if (details) details.open = true;
        status.textContent = locate.getAttribute("data-done") || "";
      }, function () {
        status.textContent = locate.getAttribute("data-failed") || "";
      });
    });
  } else if (locate) {
    locate.hidden = true;
  }
})();
