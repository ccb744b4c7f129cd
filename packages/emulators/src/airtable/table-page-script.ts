/** The table page's browser script: fetches records every second and redraws the grid, flashing new rows. */
export const TABLE_PAGE_SCRIPT = String.raw`
const rows = document.getElementById("rows");
const count = document.getElementById("count");
let lastJson = "";
let seen = null;

function display(field, value) {
  if (value === undefined || value === null) return "";
  if (field.type === "dateTime" || field.type === "createdTime") {
    const d = new Date(value);
    // Milliseconds and the zone spelt out: a press's triggered_at is when it reached us, to the ms, in UTC.
    return isNaN(d) ? String(value) : d.toISOString().slice(0, 23).replace("T", " ") + " UTC";
  }
  if (field.type === "checkbox") return value ? "✔" : "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function render(records) {
  count.textContent = records.length + (records.length === 1 ? " record" : " records");
  rows.replaceChildren();
  if (records.length === 0) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    tr.innerHTML = '<td class="num"></td><td colspan="' + FIELDS.length + '">No records yet</td>';
    rows.appendChild(tr);
  }
  records.forEach((record, index) => {
    const tr = document.createElement("tr");
    tr.dataset.recordId = record.id;
    if (seen && !seen.has(record.id)) tr.className = "fresh";
    const num = document.createElement("td");
    num.className = "num";
    num.textContent = String(index + 1);
    tr.appendChild(num);
    for (const field of FIELDS) {
      const td = document.createElement("td");
      const text = display(field, record.fields[field.name]);
      td.textContent = text;
      td.title = text;
      if (field.type === "number" || field.type === "autoNumber") td.className = "number";
      tr.appendChild(td);
    }
    rows.appendChild(tr);
  });
  seen = new Set(records.map((record) => record.id));
}

async function refresh() {
  try {
    const response = await fetch(RECORDS_URL, { cache: "no-store" });
    const json = await response.text();
    if (json !== lastJson) {
      lastJson = json;
      render(JSON.parse(json).records || []);
    }
  } catch (error) {
    count.textContent = "emulator unreachable";
  }
}

refresh();
setInterval(refresh, 1000);
`;
