// rakenne's page. Every string that comes from a document, a report or the catalog goes
// into the page as text (textContent, text nodes, attribute values): never as markup.
'use strict';

const TEXT = {
  fi: {
    title: 'asiakirjan tarkistus', language: 'Kieli',
    privacy: 'Mitään ei tallenneta: asiakirja on palvelimella vain tarkistuspyynnön ajan, eikä sitä kirjoiteta levylle eikä lokeihin.',
    check: 'Tarkista asiakirja', document: 'Asiakirja (CDA XML tai sisältö-JSON): pudota tähän tai valitse tiedosto',
    paste: '…tai liitä asiakirjan teksti', frame: 'Arkistointikehys (valinnainen)',
    structure: 'Rakenne (valinnainen: OID ohittaa asiakirjan ilmoittaman)',
    testEnv: 'Kannan testiympäristö (henkilötunnusten oltava testitunnuksia)', run: 'Tarkista',
    result: 'Tulos', nearest: 'Lähimmät kansalliset rakenteet', colStructure: 'Rakenne', colScore: 'Osuvuus',
    findings: 'Havainnot', source: 'Lähde', fields: 'Kenttätaulukko', filter: 'Näytä',
    fAll: 'kaikki', fMissing: 'puuttuvat pakolliset', fInvalid: 'virheelliset', fUndefined: 'määrittelemättömät',
    colField: 'Kenttä', colName: 'Nimi', colType: 'Tietotyyppi', colRequired: 'Pakollinen', colStatus: 'Tila', colCount: 'Arvoja',
    browser: 'Rakenneselain', browseSearch: 'Hae nimellä, OID:llä tai juuriavaimella', rules: 'Ehdolliset säännöt',
    footer: 'rakenne tarkistaa sosiaalihuollon asiakasasiakirjoja THL:n kansallisia rakenteita ja Kannan sääntöjä vasten. Rajapinta: /openapi.json',
    checking: 'Tarkistetaan…', noDocument: 'Valitse, pudota tai liitä ensin asiakirja.', failed: 'Tarkistus epäonnistui',
    picked: 'Valittu tiedosto', yes: 'kyllä', no: 'ei',
    ERROR: 'Virheet', WARNING: 'Varoitukset', INFO: 'Huomiot',
    sevERROR: 'VIRHE', sevWARNING: 'VAROITUS', sevINFO: 'HUOMIO',
    line: 'rivi', column: 'sarake', showValue: 'näytä arvo', definition: 'määrittely', noLocation: 'ei sijaintia lähteessä',
    noFindings: 'Ei havaintoja.', omitted: 'havaintoa jätetty pois (raja)',
    FULLY_CONFORMANT: 'Sidottu kansalliseen rakenteeseen, ei virheitä.',
    PARTLY_CONFORMANT: 'Sidottu kansalliseen rakenteeseen, mutta siinä on virheitä.',
    OWN_TEMPLATE: 'Ei sidottavissa mihinkään kansalliseen rakenteeseen: organisaation oma pohja.',
    UNREADABLE: 'Asiakirjaa ei voi lukea.',
    tiedTo: 'Tarkistettu rakennetta vasten', chosenBy: 'valittu',
    CHOSEN_BY_DECLARED: 'asiakirjan ilmoittaman contentSpecificationId:n perusteella',
    CHOSEN_BY_CALLER: 'käyttäjän antamana', CHOSEN_BY_ROOT_KEY: 'sisällön juuriavaimen perusteella (uusin versio)',
    notTied: 'Ei sidottu kansalliseen rakenteeseen.',
    coverage: (c) => `Pakollisia läsnä ${c.rp}/${c.rt}, valinnaisia käytetty ${c.ou}/${c.ot}, määrittelemättömiä kenttiä ${c.u}.`,
    noFields: 'Kenttätaulukkoa ei ole (ei rakennetta).',
    FIELD_STATUS_VALID: 'kelvollinen', FIELD_STATUS_INVALID: 'virheellinen', FIELD_STATUS_MISSING_REQUIRED: 'pakollinen puuttuu',
    FIELD_STATUS_MISSING_CONDITIONAL: 'ehdollisesti pakollinen puuttuu', FIELD_STATUS_ABSENT_OPTIONAL: 'valinnainen, ei annettu',
    FIELD_STATUS_UNDEFINED: 'ei määritelty',
    sourceXml: 'Napsauta havainnon sijaintia: lähde vierii riville.', sourceJson: 'Napsauta havainnon sijaintia: lähde vierii riville tai sisällön arvo (muotoiltuna) korostetaan.',
    viewRaw: 'Asiakirja sellaisenaan', viewContent: 'Rakenteinen sisältö (JSON)',
    sourceCut: 'Lähde näytetään katkaistuna', structures: 'rakennetta', loading: 'Ladataan…',
    required: 'pakollinen', conditional: 'ehdollisesti pakollinen', repeatable: 'toistuva', codes: 'koodisto', allowed: 'sallitut arvot', pattern: 'muoto',
    KIND_AT_LEAST_ONE: 'vähintään yksi näistä', KIND_AT_LEAST_ONE_YES: 'vähintään yksi näistä vastattu kyllä',
    KIND_REQUIRED_IF_ANSWER: 'pakollisia, kun ehto vastataan', KIND_REQUIRED_IF_ABSENT: 'pakollisia, kun ehto on tyhjä',
    anchor: 'kohde', members: 'kentät', condition: 'ehto', noRules: 'Ei ehdollisia sääntöjä.', noMatch: 'Ei osumia.',
  },
  sv: {
    title: 'granskning av handlingar', language: 'Språk',
    privacy: 'Ingenting sparas: handlingen finns på servern bara under granskningen och skrivs varken till disk eller till loggar.',
    check: 'Granska en handling', document: 'Handling (CDA XML eller innehålls-JSON): släpp här eller välj fil',
    paste: '…eller klistra in handlingens text', frame: 'Arkiveringsram (valfri)',
    structure: 'Struktur (valfri: OID ersätter den som handlingen anger)',
    testEnv: 'Kantas testmiljö (personbeteckningar måste vara testbeteckningar)', run: 'Granska',
    result: 'Resultat', nearest: 'Närmaste nationella strukturer', colStructure: 'Struktur', colScore: 'Träffsäkerhet',
    findings: 'Iakttagelser', source: 'Källa', fields: 'Fälttabell', filter: 'Visa',
    fAll: 'alla', fMissing: 'saknade obligatoriska', fInvalid: 'felaktiga', fUndefined: 'odefinierade',
    colField: 'Fält', colName: 'Namn', colType: 'Datatyp', colRequired: 'Obligatorisk', colStatus: 'Status', colCount: 'Värden',
    browser: 'Strukturbläddrare', browseSearch: 'Sök med namn, OID eller rotnyckel', rules: 'Villkorliga regler',
    footer: 'rakenne granskar klienthandlingar inom socialvården mot THL:s nationella strukturer och Kantas regler. Gränssnitt: /openapi.json',
    checking: 'Granskar…', noDocument: 'Välj, släpp eller klistra in en handling först.', failed: 'Granskningen misslyckades',
    picked: 'Vald fil', yes: 'ja', no: 'nej',
    ERROR: 'Fel', WARNING: 'Varningar', INFO: 'Anmärkningar',
    sevERROR: 'FEL', sevWARNING: 'VARNING', sevINFO: 'ANMÄRKNING',
    line: 'rad', column: 'kolumn', showValue: 'visa värdet', definition: 'definition', noLocation: 'ingen plats i källan',
    noFindings: 'Inga iakttagelser.', omitted: 'iakttagelser utelämnade (gräns)',
    FULLY_CONFORMANT: 'Knuten till en nationell struktur, inga fel.',
    PARTLY_CONFORMANT: 'Knuten till en nationell struktur, men med fel.',
    OWN_TEMPLATE: 'Kan inte knytas till någon nationell struktur: organisationens egen mall.',
    UNREADABLE: 'Handlingen kan inte läsas.',
    tiedTo: 'Granskad mot strukturen', chosenBy: 'vald',
    CHOSEN_BY_DECLARED: 'enligt handlingens contentSpecificationId',
    CHOSEN_BY_CALLER: 'av användaren', CHOSEN_BY_ROOT_KEY: 'enligt innehållets rotnyckel (nyaste versionen)',
    notTied: 'Inte knuten till en nationell struktur.',
    coverage: (c) => `Obligatoriska närvarande ${c.rp}/${c.rt}, valfria använda ${c.ou}/${c.ot}, odefinierade fält ${c.u}.`,
    noFields: 'Ingen fälttabell (ingen struktur).',
    FIELD_STATUS_VALID: 'giltig', FIELD_STATUS_INVALID: 'felaktig', FIELD_STATUS_MISSING_REQUIRED: 'obligatorisk saknas',
    FIELD_STATUS_MISSING_CONDITIONAL: 'villkorligt obligatorisk saknas', FIELD_STATUS_ABSENT_OPTIONAL: 'valfri, inte given',
    FIELD_STATUS_UNDEFINED: 'inte definierad',
    sourceXml: 'Klicka på en iakttagelses plats: källan rullar till raden.', sourceJson: 'Klicka på en iakttagelses plats: källan rullar till raden eller innehållets värde (formaterat) markeras.',
    viewRaw: 'Handlingen som sådan', viewContent: 'Strukturerat innehåll (JSON)',
    sourceCut: 'Källan visas avkortad', structures: 'strukturer', loading: 'Laddar…',
    required: 'obligatorisk', conditional: 'villkorligt obligatorisk', repeatable: 'upprepbar', codes: 'kodverk', allowed: 'tillåtna värden', pattern: 'format',
    KIND_AT_LEAST_ONE: 'minst en av dessa', KIND_AT_LEAST_ONE_YES: 'minst en av dessa besvarad ja',
    KIND_REQUIRED_IF_ANSWER: 'obligatoriska när villkoret besvaras', KIND_REQUIRED_IF_ABSENT: 'obligatoriska när villkoret är tomt',
    anchor: 'mål', members: 'fält', condition: 'villkor', noRules: 'Inga villkorliga regler.', noMatch: 'Inga träffar.',
  },
  en: {
    title: 'document check', language: 'Language',
    privacy: 'Nothing is stored: the document stays on the server only for the request that checks it, and is written neither to disk nor to logs.',
    check: 'Check a document', document: 'Document (CDA XML or content JSON): drop it here or pick a file',
    paste: '…or paste the document text', frame: 'Archiving frame (optional)',
    structure: 'Structure (optional: an OID overrides the one the document declares)',
    testEnv: "Kanta's test environment (identity codes must be test codes)", run: 'Check',
    result: 'Result', nearest: 'Nearest national structures', colStructure: 'Structure', colScore: 'Score',
    findings: 'Findings', source: 'Source', fields: 'Field table', filter: 'Show',
    fAll: 'all', fMissing: 'missing required', fInvalid: 'invalid', fUndefined: 'undefined',
    colField: 'Field', colName: 'Name', colType: 'Data type', colRequired: 'Required', colStatus: 'Status', colCount: 'Values',
    browser: 'Structure browser', browseSearch: 'Search by name, OID or root key', rules: 'Conditional rules',
    footer: "rakenne checks social welfare client documents against THL's national structures and Kanta's rules. API: /openapi.json",
    checking: 'Checking…', noDocument: 'Pick, drop or paste a document first.', failed: 'The check failed',
    picked: 'Picked file', yes: 'yes', no: 'no',
    ERROR: 'Errors', WARNING: 'Warnings', INFO: 'Notes',
    sevERROR: 'ERROR', sevWARNING: 'WARNING', sevINFO: 'INFO',
    line: 'line', column: 'column', showValue: 'show value', definition: 'definition', noLocation: 'no location in the source',
    noFindings: 'No findings.', omitted: 'findings left out (limit)',
    FULLY_CONFORMANT: 'Tied to a national structure, with no errors.',
    PARTLY_CONFORMANT: 'Tied to a national structure, with errors.',
    OWN_TEMPLATE: "Cannot be tied to any national structure: the organisation's own template.",
    UNREADABLE: 'The document cannot be read.',
    tiedTo: 'Checked against the structure', chosenBy: 'chosen',
    CHOSEN_BY_DECLARED: "by the document's contentSpecificationId",
    CHOSEN_BY_CALLER: 'by you', CHOSEN_BY_ROOT_KEY: "by the content's root key (newest version)",
    notTied: 'Not tied to a national structure.',
    coverage: (c) => `Required present ${c.rp}/${c.rt}, optional used ${c.ou}/${c.ot}, undefined fields ${c.u}.`,
    noFields: 'No field table (no structure).',
    FIELD_STATUS_VALID: 'valid', FIELD_STATUS_INVALID: 'invalid', FIELD_STATUS_MISSING_REQUIRED: 'required, missing',
    FIELD_STATUS_MISSING_CONDITIONAL: 'conditionally required, missing', FIELD_STATUS_ABSENT_OPTIONAL: 'optional, absent',
    FIELD_STATUS_UNDEFINED: 'not defined',
    sourceXml: "Click a finding's location: the source scrolls to its line.", sourceJson: "Click a finding's location: the source scrolls to its line, or the content's value (pretty-printed) is highlighted.",
    viewRaw: 'The document as sent', viewContent: 'Structured content (JSON)',
    sourceCut: 'The source is shown cut', structures: 'structures', loading: 'Loading…',
    required: 'required', conditional: 'conditionally required', repeatable: 'repeatable', codes: 'code list', allowed: 'allowed values', pattern: 'pattern',
    KIND_AT_LEAST_ONE: 'at least one of these', KIND_AT_LEAST_ONE_YES: 'at least one of these answered yes',
    KIND_REQUIRED_IF_ANSWER: 'required when the condition is answered', KIND_REQUIRED_IF_ABSENT: 'required when the condition is empty',
    anchor: 'anchor', members: 'fields', condition: 'condition', noRules: 'No conditional rules.', noMatch: 'No matches.',
  },
};

const SEVERITIES = ['SEVERITY_ERROR', 'SEVERITY_WARNING', 'SEVERITY_INFO'];
const MAX_SOURCE_LINES = 20000;

const state = {
  lang: 'fi',
  report: null,     // the last ValidateResponse.report
  source: null,     // { kind: 'xml' | 'json' | 'text', lines: [...], spans: Map }
  structures: null, // ListStructuresResponse.structures
  submitted: null,  // what was checked last: re-checked on a language change
};

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[state.lang][key] ?? TEXT.en[key] ?? key;

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) { node.replaceChildren(); return node; }

function nameOf(text) {
  if (!text) return '';
  return (state.lang === 'sv' && text.sv) ? text.sv : (text.fi || '');
}

// --- language ------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  const file = $('document').files[0];
  $('picked').textContent = file && !$('paste').value.trim() ? `${t('picked')}: ${file.name}` : '';
  if (state.report) renderReport();
  renderBrowseList();
}

// --- the document --------------------------------------------------------------------

/** The document to check: the pasted text, or the picked file. */
function currentDocument() {
  const pasted = $('paste').value;
  if (pasted.trim()) {
    $('picked').textContent = '';
    return { blob: new Blob([pasted], { type: 'text/plain' }), name: 'pasted' };
  }
  const file = $('document').files[0];
  return file ? { blob: file, name: file.name } : null;
}

async function submit(event) {
  if (event) event.preventDefault();
  const doc = currentDocument();
  if (!doc) { $('status').textContent = t('noDocument'); return; }
  const frame = $('frame').files[0] || null;
  state.submitted = { doc, frame, structure: $('structure').value.trim(), testEnv: $('test-env').checked };
  await check();
}

async function check() {
  const { doc, frame, structure, testEnv } = state.submitted;
  const params = new URLSearchParams({ include_fields: 'true', lang: state.lang });
  if (structure) params.set('structure', structure);
  if (testEnv) params.set('test_environment', 'true');
  const form = new FormData();
  form.append('document', doc.blob, 'document');
  if (frame) form.append('frame', frame, 'frame');
  $('status').textContent = t('checking');
  $('run').disabled = true;
  try {
    const [response, text] = await Promise.all([
      fetch('/v1/validate?' + params, { method: 'POST', body: form }),
      doc.blob.text(),
    ]);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = body.error || {};
      const details = (error.fieldViolations || []).map((v) => `${v.field}: ${v.description}`).join('; ');
      $('status').textContent = `${t('failed')} (${response.status} ${error.status || ''}): ${error.message || ''}${details ? ' — ' + details : ''}`;
      return;
    }
    $('status').textContent = '';
    state.report = body.report || {};
    state.source = sourceOf(text, state.report);
    renderReport();
  } catch (error) {
    $('status').textContent = `${t('failed')}: ${error}`;
  } finally {
    $('run').disabled = false;
    // Checks answered so far (success or not): lets scripts, and tests, wait for one.
    document.body.dataset.checks = String(Number(document.body.dataset.checks || 0) + 1);
  }
}

// --- the source view -----------------------------------------------------------------

function escapePointerToken(key) { return key.replace(/~/g, '~0').replace(/\//g, '~1'); }

/** The content pretty-printed, with the lines each pointer's value spans. */
function prettyJson(value) {
  const lines = [];
  const spans = new Map();
  const emit = (v, pointer, indent, prefix, suffix) => {
    const start = lines.length;
    if (Array.isArray(v) && v.length) {
      lines.push(indent + prefix + '[');
      v.forEach((item, i) => emit(item, `${pointer}/${i}`, indent + '  ', '', i < v.length - 1 ? ',' : ''));
      lines.push(indent + ']' + suffix);
    } else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      const keys = Object.keys(v);
      lines.push(indent + prefix + '{');
      keys.forEach((key, i) => emit(v[key], `${pointer}/${escapePointerToken(key)}`, indent + '  ',
        JSON.stringify(key) + ': ', i < keys.length - 1 ? ',' : ''));
      lines.push(indent + '}' + suffix);
    } else {
      lines.push(indent + prefix + JSON.stringify(v) + suffix);
    }
    spans.set(pointer, [start + 1, lines.length]);
  };
  emit(value, '', '', '', '');
  return { lines, spans };
}

/** The structured content a CDA carries base64-encoded in `ep2:json`, or null. */
function contentOfCda(text) {
  try {
    const xml = new DOMParser().parseFromString(text, 'application/xml');
    if (xml.getElementsByTagName('parsererror').length) return null;
    const node = xml.getElementsByTagNameNS('urn:hl7finland', 'json')[0];
    if (!node) return null;
    const bytes = Uint8Array.from(atob(node.textContent.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (_) {
    return null;
  }
}

/** The views of a document: its text as sent (`raw`), and its structured content
 *  pretty-printed (`content`), where it can be read. */
function sourceOf(text, report) {
  const format = report.document && report.document.format;
  const trimmed = text.trimStart();
  const isJson = format === 'json' || (!format && (trimmed.startsWith('{') || trimmed.startsWith('[')));
  let content = null;
  if (isJson) {
    try { content = prettyJson(JSON.parse(text)); } catch (_) { /* unreadable: the raw view only */ }
  } else if (report.verdict !== 'VERDICT_UNREADABLE') {
    // (XML that is not well-formed is always unreadable: not parsed here again, as the
    // browser's parser error page would carry inline style the page's policy refuses.)
    const decoded = contentOfCda(text);
    if (decoded !== null) content = prettyJson(decoded);
  }
  const raw = isJson && content ? null : text.split(/\r\n|\r|\n/);
  return { raw, content, view: raw ? 'raw' : 'content' };
}

function renderLines(pre, lines) {
  clear(pre);
  const shown = Math.min(lines.length, MAX_SOURCE_LINES);
  const fragment = document.createDocumentFragment();
  for (let i = 0; i < shown; i++) {
    fragment.append(el('span', { class: 'line', 'data-line': i + 1 },
      el('span', { class: 'no', 'aria-hidden': 'true' }, String(i + 1)), lines[i]));
  }
  pre.append(fragment);
  return shown < lines.length ? ` ${t('sourceCut')} (${shown}/${lines.length}).` : '';
}

function renderSource() {
  const { raw, content } = state.source;
  let cut = '';
  if (raw) cut += renderLines($('source'), raw); else clear($('source'));
  if (content) cut += renderLines($('content'), content.lines); else clear($('content'));
  $('show-raw').hidden = !raw;
  $('show-content').hidden = !content;
  showView(state.source.view);
  $('source-note').textContent = (content ? t('sourceJson') : t('sourceXml')) + cut;
}

function showView(view) {
  state.source.view = view;
  $('source').hidden = view !== 'raw';
  $('content').hidden = view !== 'content';
  $('show-raw').setAttribute('aria-pressed', String(view === 'raw'));
  $('show-content').setAttribute('aria-pressed', String(view === 'content'));
}

/** Shows lines `from..=to` of a view highlighted, the first scrolled into sight. */
function showLines(view, from, to) {
  showView(view);
  const pre = view === 'raw' ? $('source') : $('content');
  for (const node of pre.querySelectorAll('.hit, .current')) node.classList.remove('hit', 'current');
  const first = pre.children[from - 1];
  if (!first) return;
  for (let line = from; line <= to; line++) {
    const node = pre.children[line - 1];
    if (node) node.classList.add('hit');
  }
  first.classList.add('current');
  pre.scrollTop = Math.max(0, first.offsetTop - pre.offsetTop - pre.clientHeight / 3);
  first.scrollIntoView({ block: 'nearest' });
  pre.focus({ preventScroll: true });
}

/** The lines of the nearest value a pointer names (itself, or its closest ancestor). */
function spanOf(pointer) {
  if (!state.source.content) return null;
  let p = pointer;
  while (true) {
    const span = state.source.content.spans.get(p);
    if (span) return span;
    if (!p) return null;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/** A concrete pointer as the structure's template (`*` for array indices). */
function templateOf(pointer) {
  return pointer.split('/').map((token, i) => (i > 0 && /^\d+$/.test(token) ? '*' : token)).join('/');
}

// --- the report ----------------------------------------------------------------------

const VERDICT_ICONS = { FULLY_CONFORMANT: '✔', PARTLY_CONFORMANT: '▲', OWN_TEMPLATE: '◆', UNREADABLE: '✖' };

function renderReport() {
  const report = state.report;
  $('result').hidden = false;
  const verdict = report.verdict || 'VERDICT_UNSPECIFIED';
  const short = verdict.replace(/^VERDICT_/, '');
  $('verdict').className = `verdict ${short}`;
  $('verdict').dataset.verdict = short;
  $('verdict-icon').textContent = VERDICT_ICONS[short] || '';
  $('verdict-label').textContent = report.verdictLabel || short;
  $('verdict-explain').textContent = t(short);

  const tied = clear($('tied'));
  if (report.structure) {
    const s = report.structure;
    tied.append(`${t('tiedTo')}: `, el('strong', {}, nameOf(s.name)), ` (${s.oid}, ${s.family || ''}) — ${t('chosenBy')} ${t(s.chosenBy || '')}. `,
      el('button', { type: 'button', class: 'link', onclick: () => openStructure(s.oid, null) }, t('definition')));
  } else {
    tied.textContent = t('notTied');
  }

  const nearest = report.nearest || [];
  $('nearest-box').hidden = nearest.length === 0;
  const nearestBody = clear($('nearest').tBodies[0]);
  for (const n of nearest) {
    nearestBody.append(el('tr', {},
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => openStructure(n.oid, null) }, nameOf(n.name))),
      el('td', {}, el('code', {}, n.oid)),
      el('td', {}, `${Math.round((n.score || 0) * 100)} %`)));
  }

  renderSource();
  renderFindings();
  renderFields();
}

function locationButtons(finding) {
  const buttons = [];
  if (finding.line && state.source.raw) {
    buttons.push(el('button', { type: 'button', class: 'goto', 'data-view': 'raw', 'data-target-line': finding.line,
      onclick: () => showLines('raw', finding.line, finding.line) },
    `${t('line')} ${finding.line}${finding.column ? `, ${t('column')} ${finding.column}` : ''}`));
  }
  const span = finding.pointer !== undefined ? spanOf(finding.pointer) : null;
  if (span) {
    buttons.push(el('button', { type: 'button', class: 'goto', 'data-view': 'content', 'data-target-line': span[0],
      onclick: () => showLines('content', span[0], span[1]) },
    `${t('showValue')} ${finding.pointer || '/'}`));
  }
  if (!buttons.length) buttons.push(el('span', { class: 'small' }, t('noLocation')));
  if (state.report.structure && finding.pointer) {
    buttons.push(el('button', { type: 'button', class: 'definition',
      onclick: () => openStructure(state.report.structure.oid, templateOf(finding.pointer)) }, t('definition')));
  }
  return buttons;
}

function renderFindings() {
  const report = state.report;
  const findings = report.findings || [];
  $('findings-count').textContent = String(findings.length + (report.findingsOmitted || 0));
  const box = clear($('findings'));
  if (!findings.length) { box.append(el('p', {}, t('noFindings'))); return; }
  for (const severity of SEVERITIES) {
    const ofSeverity = findings.filter((f) => f.severity === severity);
    if (!ofSeverity.length) continue;
    const short = severity.replace(/^SEVERITY_/, '');
    const group = el('section', { class: 'group', 'data-severity': short }, el('h4', {}, `${t(short)} (${ofSeverity.length})`));
    const families = new Map();
    for (const f of ofSeverity) {
      const family = (f.ruleId || '').split('.')[0] || '-';
      if (!families.has(family)) families.set(family, []);
      families.get(family).push(f);
    }
    for (const [family, list] of families) {
      group.append(el('h5', {}, `${family} (${list.length})`));
      group.append(el('ul', { class: 'findings' }, list.map((f) => el('li', { class: `finding ${short}` },
        el('span', { class: 'sev' }, t('sev' + short)), ' ', el('code', { class: 'rule' }, f.ruleId || ''), ' ',
        el('span', { class: 'message' }, f.message || ''),
        f.element && f.element.name ? el('span', { class: 'small' }, ` — ${nameOf(f.element.name)}`) : null,
        el('div', { class: 'links' }, locationButtons(f))))));
    }
    box.append(group);
  }
  if (report.findingsOmitted) box.append(el('p', { class: 'small' }, `+${report.findingsOmitted} ${t('omitted')}`));
}

const FILTERS = {
  all: () => true,
  missing: (row) => row.status === 'FIELD_STATUS_MISSING_REQUIRED' || row.status === 'FIELD_STATUS_MISSING_CONDITIONAL',
  invalid: (row) => row.status === 'FIELD_STATUS_INVALID',
  undefined: (row) => row.status === 'FIELD_STATUS_UNDEFINED',
};

function renderFields() {
  const report = state.report;
  const rows = report.fields || [];
  const c = report.coverage;
  $('coverage').textContent = c ? t('coverage')({
    rp: c.requiredPresent || 0, rt: c.requiredTotal || 0, ou: c.optionalUsed || 0, ot: c.optionalTotal || 0, u: c.undefinedFields || 0,
  }) : t('noFields');
  const filter = FILTERS[document.querySelector('input[name=filter]:checked').value] || FILTERS.all;
  $('fields').hidden = rows.length === 0;
  $('fields-box').querySelector('.filters').hidden = rows.length === 0;
  const body = clear($('fields').tBodies[0]);
  for (const row of rows.filter(filter)) {
    const status = row.status || 'FIELD_STATUS_UNSPECIFIED';
    const defined = status !== 'FIELD_STATUS_UNDEFINED' && report.structure;
    body.append(el('tr', { class: status, 'data-pointer': row.pointer || '' },
      el('td', {}, defined
        ? el('button', { type: 'button', class: 'link', onclick: () => openStructure(report.structure.oid, row.pointer) }, el('code', {}, row.pointer || ''))
        : el('code', {}, row.pointer || '')),
      el('td', {}, nameOf(row.name)),
      el('td', {}, row.representation || ''),
      el('td', {}, row.required ? t('yes') : t('no')),
      el('td', { class: 'status' }, t(status)),
      el('td', {}, String(row.count || 0))));
  }
}

// --- the structure browser -----------------------------------------------------------

async function loadStructures() {
  if (state.structures) return state.structures;
  const response = await fetch('/v1/structures');
  if (!response.ok) return [];
  const body = await response.json();
  state.structures = body.structures || [];
  const list = clear($('structure-list'));
  for (const s of state.structures) list.append(el('option', { value: s.oid }, `${nameOf(s.name)} (${s.definitionVersion || ''})`));
  renderBrowseList();
  return state.structures;
}

function renderBrowseList() {
  const list = clear($('browse-list'));
  if (!state.structures) return;
  const query = $('browse-search').value.trim().toLowerCase();
  const matches = state.structures.filter((s) => !query
    || (s.oid || '').includes(query) || (s.rootKey || '').toLowerCase().includes(query)
    || (s.name?.fi || '').toLowerCase().includes(query) || (s.name?.sv || '').toLowerCase().includes(query)).slice(0, 200);
  if (!matches.length) { list.append(el('li', {}, t('noMatch'))); return; }
  for (const s of matches) {
    list.append(el('li', {}, el('button', { type: 'button', onclick: () => openStructure(s.oid, null) },
      `${nameOf(s.name)} — ${s.family || ''} ${s.definitionVersion || ''} — ${s.oid}`)));
  }
}

async function openStructure(oid, pointer) {
  const view = $('structure-view');
  view.hidden = false;
  $('sv-title').textContent = t('loading');
  const response = await fetch('/v1/structures/' + encodeURIComponent(oid));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { $('sv-title').textContent = (body.error && body.error.message) || String(response.status); return; }
  const s = body.structure || {};
  $('sv-title').textContent = `${nameOf(s.name)} (${s.oid})`;
  $('sv-meta').textContent = `${s.family || ''} · ${s.subject || ''} · ${s.rootKey || ''} · ${s.definitionVersion || ''} · ${s.status || ''} · ${s.elementCount || 0}`;
  const elements = body.elements || [];
  const rules = body.rules || [];
  const rulesOf = (p) => rules.filter((r) => r.anchor === p || r.condition === p || (r.members || []).includes(p));
  const nodeOf = (index) => {
    const e = elements[index];
    const facts = [e.jsonType, e.cardinality, e.representation,
      e.required ? t('required') : null, e.conditionalRequired ? t('conditional') : null, e.repeatable ? t('repeatable') : null,
      e.classificationOid ? `${t('codes')} ${e.classificationOid}` : null,
      (e.enumValues || []).length ? `${t('allowed')}: ${(e.enumValues || []).join(', ')}` : null,
      e.pattern ? `${t('pattern')}: ${e.pattern}` : null].filter(Boolean).join(' · ');
    const ruleNotes = rulesOf(e.pointer).map((r) => el('div', { class: 'small' }, `⚑ ${t(r.kind || '')}`));
    const item = el('li', {}, el('div', { class: 'el', id: `el-${index}`, 'data-pointer': e.pointer || '', tabindex: '-1' },
      el('span', { class: 'key' }, e.key || '/'), ' ', nameOf(e.name), ' ', el('span', { class: 'meta' }, facts), ruleNotes));
    const children = e.children || [];
    if (children.length) item.append(el('ul', {}, children.map(nodeOf)));
    return item;
  };
  const tree = clear($('tree'));
  if (elements.length) tree.append(el('ul', {}, nodeOf(0)));
  const ruleList = clear($('rules'));
  if (!rules.length) ruleList.append(el('li', {}, t('noRules')));
  for (const r of rules) {
    ruleList.append(el('li', {}, `${t(r.kind || '')}: ${t('anchor')} ${r.anchor || '/'}; ${t('members')} ${(r.members || []).join(', ')}`,
      r.condition ? `; ${t('condition')} ${r.condition}${r.kind === 'KIND_REQUIRED_IF_ANSWER' ? ` = ${r.whenYes ? t('yes') : t('no')}` : ''}` : ''));
  }
  let target = null;
  if (pointer) {
    // The element itself, or its nearest defined ancestor.
    let p = pointer;
    while (!target && p) {
      target = [...tree.querySelectorAll('.el')].find((node) => node.dataset.pointer === p) || null;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }
  const focus = target || tree.querySelector('.el');
  if (target) target.classList.add('target');
  if (focus) { focus.scrollIntoView({ block: 'center' }); focus.focus({ preventScroll: true }); }
}

// --- wiring --------------------------------------------------------------------------

function init() {
  const saved = new URLSearchParams(location.search).get('lang');
  const guess = (navigator.language || 'fi').slice(0, 2);
  state.lang = TEXT[saved] ? saved : (TEXT[guess] ? guess : 'fi');
  $('lang').value = state.lang;
  $('lang').addEventListener('change', () => {
    state.lang = $('lang').value;
    applyLanguage();
    if (state.submitted) check();
  });
  $('form').addEventListener('submit', submit);
  $('document').addEventListener('change', () => {
    const file = $('document').files[0];
    $('picked').textContent = file ? `${t('picked')}: ${file.name}` : '';
    if (file) $('paste').value = '';
  });
  $('paste').addEventListener('input', () => { if ($('paste').value) $('document').value = ''; $('picked').textContent = ''; });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) {
      $('document').files = e.dataTransfer.files;
      $('document').dispatchEvent(new Event('change'));
    }
  });
  for (const radio of document.querySelectorAll('input[name=filter]')) {
    radio.addEventListener('change', () => { if (state.report) renderFields(); });
  }
  $('browse-search').addEventListener('input', renderBrowseList);
  $('show-raw').addEventListener('click', () => showView('raw'));
  $('show-content').addEventListener('click', () => showView('content'));
  applyLanguage();
  loadStructures();
}

document.addEventListener('DOMContentLoaded', init);
