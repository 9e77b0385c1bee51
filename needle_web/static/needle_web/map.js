// An ES module, loaded by the map page after Leaflet (leaflet/leaflet.js). It fetches the
// page's GeoJSON (the audience's protected numbers only) and draws each neighbourhood,
// coloured by its ward's young people reached or by its deprivation decile, with a legend.
// No tiles are fetched: the polygons are the whole map, so it works offline. Without
// JavaScript, or for a screen reader, the table below the map has the same numbers.
const box = document.getElementById("map");
const L = window.L;

const REACH = ["#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b"];
const DEPRIVATION = ["#3f007d", "#6a51a3", "#9e9ac8", "#cbc9e2", "#f2f0f7"];
const DEPRIVATION_LABELS = [
  "Deciles 1 and 2 (most deprived)",
  "Deciles 3 and 4",
  "Deciles 5 and 6",
  "Deciles 7 and 8",
  "Deciles 9 and 10 (least deprived)",
];
const NONE = "#ffffff";
const BORDER = "#0b0c0c";

const number = new Intl.NumberFormat("en-GB");

// Upper bounds of up to five classes of equal width from 1 to the largest value.
const reachBreaks = (values) => {
  const largest = Math.max(0, ...values);
  const bounds = [];
  for (let k = 1; k <= 5; k += 1) {
    const bound = Math.ceil((largest * k) / 5);
    if (bound > 0 && !bounds.includes(bound)) bounds.push(bound);
  }
  return bounds;
};

const reachClass = (value, bounds) => {
  const index = bounds.findIndex((bound) => value <= bound);
  return index === -1 ? bounds.length - 1 : index;
};

const deprivationClass = (decile) => Math.floor((decile - 1) / 2);

const swatch = (className) => {
  const span = document.createElement("span");
  span.className = `dashboards-swatch ${className}`;
  span.setAttribute("aria-hidden", "true");
  return span;
};

const legendItem = (className, text) => {
  const item = document.createElement("li");
  item.append(swatch(className), document.createTextNode(text));
  return item;
};

const showLegend = (layer, bounds) => {
  const legend = document.getElementById("map-legend");
  const heading = document.createElement("p");
  heading.className = "govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-2";
  const list = document.createElement("ul");
  if (layer === "reach") {
    heading.textContent = "Young people reached in the ward, all periods";
    let low = 1;
    bounds.forEach((bound, index) => {
      const text = low === bound ? number.format(bound) : `${number.format(low)} to ${number.format(bound)}`;
      list.append(legendItem(`dashboards-swatch--reach-${index + (5 - bounds.length)}`, text));
      low = bound + 1;
    });
    list.append(legendItem("dashboards-swatch--none", "Hidden to protect privacy, or no data"));
  } else {
    heading.textContent = "Deprivation of the neighbourhood (IMD 2019)";
    DEPRIVATION_LABELS.forEach((text, index) => {
      list.append(legendItem(`dashboards-swatch--deprivation-${index}`, text));
    });
    list.append(legendItem("dashboards-swatch--none", "Not known"));
  }
  legend.replaceChildren(heading, list);
};

const tooltip = (properties) => {
  const lines = [
    properties.name,
    `Ward: ${properties.ward_name || "not known"}`,
    `Deprivation decile: ${properties.imd_decile ?? "not known"}`,
    `Young people reached in the ward: ${
      properties.value === null ? "hidden or no data" : number.format(properties.value)
    }`,
  ];
  const element = document.createElement("div");
  lines.forEach((line, index) => {
    if (index) element.append(document.createElement("br"));
    element.append(document.createTextNode(line));
  });
  return element;
};

const draw = (data) => {
  const values = data.features.map((f) => f.properties.value).filter((v) => v !== null);
  const bounds = reachBreaks(values);
  const offset = 5 - bounds.length; // few classes use the darker end of the scale
  const style = (layer) => (feature) => {
    const p = feature.properties;
    let fill = NONE;
    let hidden = true;
    if (layer === "reach" && p.value !== null) {
      fill = REACH[reachClass(p.value, bounds) + offset];
      hidden = false;
    } else if (layer === "deprivation" && p.imd_decile !== null) {
      fill = DEPRIVATION[deprivationClass(p.imd_decile)];
      hidden = false;
    }
    return {
      color: BORDER,
      weight: 1,
      dashArray: hidden ? "4 3" : null,
      fillColor: fill,
      fillOpacity: 1,
    };
  };
  const map = L.map(box, { attributionControl: false, zoomSnap: 0.25 });
  const shapes = L.geoJSON(data, { style: style("reach") }).addTo(map);
  shapes.eachLayer((shape) => shape.bindTooltip(tooltip(shape.feature.properties)));
  if (data.features.length) map.fitBounds(shapes.getBounds());
  showLegend("reach", bounds);
  const controls = document.getElementById("map-controls");
  controls.hidden = false;
  controls.addEventListener("change", (event) => {
    const layer = event.target.value;
    shapes.setStyle(style(layer));
    showLegend(layer, bounds);
  });
  box.dataset.mapReady = String(data.features.length);
};

if (box && L) {
  fetch(box.dataset.mapUrl, {
    headers: { Accept: "application/geo+json" },
    credentials: "same-origin",
  })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then(draw)
    .catch(() => {
      box.textContent = "The map could not be loaded. The numbers are in the table below.";
      box.classList.add("govuk-body");
    });
}
