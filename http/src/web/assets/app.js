// The pages' little script: the maps (Leaflet, no basemap unless one is configured: the kelurahan
// polygons on a plain background work without internet).
"use strict";

function tinjauMap(element) {
  // A view first: Leaflet draws nothing, and throws, on a map without one. Jakarta until the data
  // says where.
  var map = L.map(element, { zoomSnap: 0.5 }).setView([-6.18, 106.82], 13);
  var tiles = document.documentElement.dataset.tiles;
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  return map;
}

// Leaflet puts a tooltip's string in as HTML: text from data (a proposal's words) is escaped.
function tinjauText(value) {
  return String(value === undefined || value === null ? "" : value)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function tinjauFetch(url) {
  return fetch(url, { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) { throw new Error(url + " " + r.status); }
    return r.json();
  });
}

function tinjauProposalMap(id) {
  var element = document.getElementById(id);
  if (!element || typeof L === "undefined") { return; }
  var f = JSON.parse(element.dataset.features);
  var map = tinjauMap(element);
  var layers = L.featureGroup().addTo(map);
  if (f.pin) {
    L.circleMarker([f.pin.lat, f.pin.lon], { radius: 8, color: "#6a1b9a", weight: 3, className: "feature-pin" })
      .bindTooltip("pin").addTo(layers);
  }
  if (f.fix) {
    L.circle([f.fix.lat, f.fix.lon], { radius: Math.max(f.fix.accuracy_m, 1), color: "#1565c0", weight: 1, fillOpacity: 0.15, className: "feature-accuracy" }).addTo(layers);
    L.circleMarker([f.fix.lat, f.fix.lon], { radius: 6, color: "#1565c0", fillOpacity: 1, className: "feature-fix" }).addTo(layers);
  }
  (f.photos || []).forEach(function (p) {
    L.circleMarker([p.lat, p.lon], { radius: 5, color: "#e08a00", fillOpacity: 0.9, className: "feature-photo" }).addTo(layers);
    if (f.fix) {
      L.polyline([[f.fix.lat, f.fix.lon], [p.lat, p.lon]], { color: "#e08a00", dashArray: "4 4", weight: 1, className: "feature-photo-link" }).addTo(layers);
    }
  });
  if (f.trace && f.trace.type) {
    L.geoJSON(f.trace, { style: { color: "#2e7d32", weight: 4, className: "feature-trace" } }).addTo(layers);
  }
  // Framed on the pin and the survey's fix (photos far away are listed on the page, not drawn),
  // at least 150 m across, with the kelurahan around them when it lies within 3 km; the outline
  // alone when there is nothing else to show.
  function frame(outline) {
    if (layers.getLayers().length) {
      var bounds = layers.getBounds();
      bounds.extend(bounds.getCenter().toBounds(150));
      if (outline && outline.getCenter().distanceTo(bounds.getCenter()) < 3000) { bounds.extend(outline); }
      map.fitBounds(bounds.pad(0.15));
    } else if (outline) {
      map.fitBounds(outline.pad(0.05));
    } else {
      map.setView([-6.2, 106.8], 12);
    }
    element.dataset.ready = "1";
  }
  tinjauFetch(f.boundary).then(function (geo) {
    var polygon = L.geoJSON(geo, { style: { color: "#37474f", weight: 2, fillColor: "#c8e6c9", fillOpacity: 0.35, className: "feature-kelurahan" } }).addTo(map);
    polygon.bringToBack();
    frame(polygon.getBounds());
  }).catch(function () { frame(null); });
}

function tinjauKecamatanMap(id) {
  var element = document.getElementById(id);
  if (!element || typeof L === "undefined") { return; }
  var config = JSON.parse(element.dataset.config);
  var map = tinjauMap(element);
  var colours = { high: "#b71c1c", warning: "#e08a00", info: "#1565c0" };
  Promise.all([tinjauFetch(config.boundaries), tinjauFetch(config.points)]).then(function (both) {
    var polygons = L.geoJSON(both[0], {
      style: { color: "#37474f", weight: 1.5, fillColor: "#c8e6c9", fillOpacity: 0.3, className: "feature-kelurahan" },
      onEachFeature: function (feature, layer) { layer.bindTooltip(tinjauText(feature.properties.nama || feature.properties.kode)); }
    }).addTo(map);
    L.geoJSON(both[1], {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        return L.circleMarker(latlng, {
          radius: 7, color: p.decision === "undecided" ? "#ffffff" : "#263238", weight: p.decision === "undecided" ? 1 : 3,
          fillColor: colours[p.severity] || "#7a8a80", fillOpacity: 0.95, className: "feature-proposal"
        });
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(tinjauText("#" + p.id + " " + p.usulan + " — " + p.decision_label));
        layer.on("click", function () { window.location.href = "/usulan/" + p.id; });
      }
    }).addTo(map);
    map.fitBounds(polygons.getBounds().pad(0.03));
    element.dataset.ready = "1";
  }).catch(function () { map.setView([-6.2, 106.8], 12); element.dataset.ready = "1"; });
}
