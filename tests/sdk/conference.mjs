// Sets up a whole conference on the Wix Events emulator using only Wix's own JavaScript SDK
// (@wix/sdk + @wix/auto_sdk_events_*), reads it back through the SDK and prints ONE JSON object
// on stdout. Driven by tests/sdk/test_js_sdk.py; can also be run by hand:
//
//   EMULATOR_URL=http://127.0.0.1:8765 WIX_API_KEY=... WIX_SITE_ID=... node conference.mjs
//
// Redirect: createClient's official `fetch` option receives every request the SDK makes as an
// absolute https://www.wixapis.com URL (the SDK always builds `https://${apiBaseUrl}${path}`, so
// `host.apiBaseUrl` alone cannot point it at a plain-http loopback server). `emulatorFetch`
// swaps that origin for EMULATOR_URL, keeping path and query byte for byte, and refuses any
// other destination. globalThis.fetch is replaced by the same guard, so nothing in this
// process can reach a host other than the emulator on 127.0.0.1.
//
// Set SDK_TRACE=1 to log every request and response body on stderr.

import { readFileSync } from 'node:fs';

import { ApiKeyStrategy, createClient } from '@wix/sdk';
import * as categories from '@wix/auto_sdk_events_categories';
import * as policies from '@wix/auto_sdk_events_policies';
import * as schedule from '@wix/auto_sdk_events_schedule';
import * as ticketDefinitions from '@wix/auto_sdk_events_ticket-definitions-v-2';
import * as wixEventsV2 from '@wix/auto_sdk_events_wix-events-v-2';

const WIX_ORIGIN = 'https://www.wixapis.com';
const TRACE = process.env.SDK_TRACE === '1';

function die(message) {
  process.stderr.write(`conference.mjs: ${message}\n`);
  process.exit(1);
}

// --- configuration --------------------------------------------------------------------------

function emulatorOrigin(raw) {
  if (!raw) die('EMULATOR_URL is not set (e.g. http://127.0.0.1:8765)');
  let url;
  try {
    url = new URL(raw);
  } catch {
    die(`EMULATOR_URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    die(`EMULATOR_URL must be http(s)://127.0.0.1:<port>, got ${raw}`);
  }
  if (url.hostname !== '127.0.0.1') {
    die(`EMULATOR_URL must point at 127.0.0.1 (this script never talks to anything else), got ${raw}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    die(`EMULATOR_URL must be an origin without path or query, got ${raw}`);
  }
  return url.origin;
}

const EMULATOR = emulatorOrigin(process.env.EMULATOR_URL);
const API_KEY = process.env.WIX_API_KEY || die('WIX_API_KEY is not set');
const SITE_ID = process.env.WIX_SITE_ID || die('WIX_SITE_ID is not set');

// --- the redirecting, loopback-only fetch ---------------------------------------------------

const realFetch = globalThis.fetch;
if (typeof realFetch !== 'function') die('this Node.js has no global fetch; use Node.js 18 or newer');

const requests = []; // {method, path, query, status} of every call the SDK made, in order

function refuse(message) {
  // Written out at once as well as thrown: the SDK turns fetch failures into a generic
  // "System error occurred" and the original message would be lost.
  process.stderr.write(`conference.mjs: ${message}\n`);
  throw new Error(message);
}

function redirect(href) {
  // Rewrite only the origin; the rest of the string (path + query) is kept exactly as the SDK
  // built it, so an encoding difference can never be introduced here.
  let target;
  if (href === WIX_ORIGIN || href.startsWith(`${WIX_ORIGIN}/`) || href.startsWith(`${WIX_ORIGIN}?`)) {
    target = EMULATOR + href.slice(WIX_ORIGIN.length);
  } else if (href.startsWith(`${EMULATOR}/`)) {
    target = href;
  } else {
    refuse(
      `refused a request to ${href}: only ${WIX_ORIGIN} (redirected to ${EMULATOR}) ` +
        'may be called',
    );
  }
  if (new URL(target).hostname !== '127.0.0.1') {
    refuse(`refused a request to ${target}: not 127.0.0.1`);
  }
  return target;
}

async function emulatorFetch(input, init) {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const target = redirect(href);
  const isRequest = typeof input === 'object' && !(input instanceof URL);
  const method = (init?.method ?? (isRequest ? input.method : 'GET')).toUpperCase();
  const request = isRequest ? new Request(target, input) : target;
  if (TRACE) process.stderr.write(`--> ${method} ${target}\n${init?.body ? `    ${init.body}\n` : ''}`);
  const response = await realFetch(request, init);
  const url = new URL(target);
  requests.push({ method, path: url.pathname, query: url.search, status: response.status });
  if (TRACE) {
    const text = await response.clone().text();
    process.stderr.write(`<-- ${response.status} ${text}\n`);
  }
  return response;
}

globalThis.fetch = emulatorFetch;

const client = createClient({
  modules: { wixEventsV2, ticketDefinitions, policies, schedule, categories },
  auth: ApiKeyStrategy({ apiKey: API_KEY, siteId: SITE_ID }),
  fetch: emulatorFetch,
  useCDN: false,
});

// --- helpers ----------------------------------------------------------------------------------

function errorSummary(err) {
  return {
    status: err?.status ?? err?.response?.status ?? null,
    code: err?.details?.applicationError?.code ?? null,
    fieldViolations: err?.details?.validationError?.fieldViolations ?? null,
    message: err?.message ?? String(err),
  };
}

let currentStep = 'start';

async function step(name, fn) {
  currentStep = name;
  try {
    return await fn();
  } catch (err) {
    const summary = errorSummary(err);
    const last = requests.at(-1);
    const where = last ? ` (last request: ${last.method} ${last.path}${last.query} -> ${last.status})` : '';
    throw new Error(
      `step "${name}" failed${where}: status=${summary.status} code=${summary.code}\n${summary.message}`,
      { cause: err },
    );
  }
}

function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

const ids = (items) => items.map((item) => item._id);

// Every page of a query builder: names per page and what the builder said about paging.
async function walk(builder, maxPages = 10) {
  const pages = [];
  let page = await builder.find();
  for (;;) {
    pages.push({
      names: page.items.map((item) => item.name),
      hasNext: page.hasNext(),
      hasPrev: page.hasPrev(),
      totalCount: page.totalCount ?? null,
    });
    if (!page.hasNext()) return pages;
    if (pages.length >= maxPages) throw new Error(`still hasNext() after ${maxPages} pages`);
    page = await page.next();
  }
}

// --- the conference ---------------------------------------------------------------------------

const EVENT_START = new Date('2031-05-20T08:00:00.000Z');
const EVENT_END = new Date('2031-05-22T18:00:00.000Z');
const SALE_START = new Date('2031-01-01T00:00:00.000Z');
const SALE_END = new Date('2031-05-19T00:00:00.000Z');
const TIME_ZONE = 'Europe/Lisbon';
const EVENT_FIELDS = ['DETAILS', 'REGISTRATION', 'CATEGORIES'];

async function main() {
  const out = {
    sdk: Object.fromEntries(
      [
        '@wix/sdk',
        '@wix/auto_sdk_events_wix-events-v-2',
        '@wix/auto_sdk_events_ticket-definitions-v-2',
        '@wix/auto_sdk_events_policies',
        '@wix/auto_sdk_events_schedule',
        '@wix/auto_sdk_events_categories',
      ].map((name) => [name, packageVersion(name)]),
    ),
  };

  // 1. The event, as a draft.
  const created = await step('createEvent', () =>
    client.wixEventsV2.createEvent(
      {
        title: 'EmuConf 2031',
        shortDescription: 'Three days of talks and workshops about event-as-code.',
        location: {
          type: 'VENUE',
          name: 'Lisbon Congress Centre',
          address: {
            addressLine1: 'Praça das Indústrias 1',
            city: 'Lisbon',
            subdivision: 'Lisboa',
            country: 'PT',
            postalCode: '1300-307',
          },
        },
        dateAndTimeSettings: {
          dateAndTimeTbd: false,
          startDate: new Date(EVENT_START),
          endDate: new Date(EVENT_END),
          timeZoneId: TIME_ZONE,
          showTimeZone: true,
        },
        registration: { initialType: 'TICKETING' },
      },
      { draft: true, fields: ['DETAILS', 'REGISTRATION'] },
    ),
  );
  const eventId = created._id;
  if (!eventId) throw new Error(`createEvent returned no _id: ${JSON.stringify(created)}`);
  out.event = { id: eventId, created };

  // 2. Ticket definitions: fixed price, free, and two pricing options.
  const salePeriod = () => ({
    startDate: new Date(SALE_START),
    endDate: new Date(SALE_END),
    displayNotOnSale: true,
  });
  const tdInputs = [
    {
      eventId,
      name: 'Early Bird',
      description: 'All three days, at a discount.',
      pricingMethod: { fixedPrice: { value: '199.00', currency: 'USD' } },
      feeType: 'FEE_ADDED_AT_CHECKOUT',
      initialLimit: 100,
      salePeriod: salePeriod(),
    },
    {
      eventId,
      name: 'Community',
      description: 'Free entry for community volunteers.',
      pricingMethod: { fixedPrice: { value: '0', currency: 'USD' } },
      feeType: 'NO_FEE',
      initialLimit: 50,
      salePeriod: salePeriod(),
    },
    {
      eventId,
      name: 'Workshop Pass',
      description: 'Hands-on workshops.',
      pricingMethod: {
        pricingOptions: {
          optionDetails: [
            { name: 'Half day', price: { value: '49.50', currency: 'USD' } },
            { name: 'Full day', price: { value: '89.00', currency: 'USD' } },
          ],
        },
      },
      feeType: 'FEE_INCLUDED',
      initialLimit: 30,
      salePeriod: salePeriod(),
    },
  ];
  const tds = [];
  for (const input of tdInputs) {
    tds.push(
      await step(`createTicketDefinition ${input.name}`, () =>
        client.ticketDefinitions.createTicketDefinition(input),
      ),
    );
  }
  const [earlyBird, , workshop] = tds;
  // Move the Workshop Pass to the front (before Early Bird).
  const tdReorder = await step('reorderTicketDefinitions', () =>
    client.ticketDefinitions.reorderTicketDefinitions(eventId, {
      ticketDefinitionId: workshop._id,
      beforeDefinitionId: earlyBird._id,
    }),
  );
  out.ticketDefinitions = { created: tds, reorderResponse: tdReorder };

  // 3. Policies: three, then move the first-created one to the front.
  const policyInputs = [
    { name: 'Refund Policy', body: '<p>Full refund until 30 days before the event.</p>' },
    { name: 'Code of Conduct', body: '<p>Be kind. Harassment is not tolerated.</p>' },
    { name: 'Photography', body: '<p>Sessions are photographed and recorded.</p>' },
  ];
  const createdPolicies = [];
  for (const input of policyInputs) {
    createdPolicies.push(
      await step(`createPolicy ${input.name}`, () =>
        client.policies.createPolicy({ eventId, ...input }),
      ),
    );
  }
  const [refund, , photography] = createdPolicies;
  const policyReorder = await step('reorderEventPolicies', () =>
    client.policies.reorderEventPolicies(refund._id, eventId, { beforePolicyId: photography._id }),
  );
  out.policies = { created: createdPolicies, reorderResponse: policyReorder };

  // 4. Schedule: three draft items, rename one, publish the draft.
  const slot = (start, end) => ({
    start: new Date(start),
    end: new Date(end),
    timeZoneId: TIME_ZONE,
  });
  const itemInputs = [
    {
      name: 'Keynote',
      description: '<p>Welcome and state of the union.</p>',
      stageName: 'Main Hall',
      tags: ['keynote'],
      hidden: false,
      timeSlot: slot('2031-05-20T09:00:00.000Z', '2031-05-20T10:00:00.000Z'),
    },
    {
      name: 'Provisioning Workshop',
      description: '<p>Bring a laptop.</p>',
      stageName: 'Room 2',
      tags: ['workshop', 'hands-on'],
      hidden: false,
      timeSlot: slot('2031-05-20T10:30:00.000Z', '2031-05-20T12:30:00.000Z'),
    },
    {
      name: 'Closing Panel',
      stageName: 'Main Hall',
      tags: ['panel'],
      hidden: false,
      timeSlot: slot('2031-05-22T16:00:00.000Z', '2031-05-22T17:00:00.000Z'),
    },
  ];
  const added = [];
  for (const item of itemInputs) {
    const response = await step(`addScheduleItem ${item.name}`, () =>
      client.schedule.addScheduleItem(eventId, { item }),
    );
    added.push(response);
  }
  const keynoteId = added[0]?.item?._id;
  if (!keynoteId) throw new Error(`addScheduleItem returned no item._id: ${JSON.stringify(added[0])}`);
  const updated = await step('updateScheduleItem', () =>
    client.schedule.updateScheduleItem(keynoteId, eventId, {
      item: { name: 'Opening Keynote' },
      fields: ['name'],
    }),
  );
  const schedulePublish = await step('publishDraft (schedule)', () =>
    client.schedule.publishDraft(eventId),
  );
  out.schedule = { added, updated, publishResponse: schedulePublish ?? null };

  // 5. Categories: two, both assigned to the event.
  const createdCategories = [];
  for (const name of ['Conferences', 'Developer Tools']) {
    createdCategories.push(
      await step(`createCategory ${name}`, () => client.categories.createCategory({ name })),
    );
  }
  const assignResponses = [];
  for (const category of createdCategories) {
    assignResponses.push(
      await step(`assignEvents ${category.name}`, () =>
        client.categories.assignEvents(category._id, [eventId]),
      ),
    );
  }
  out.categories = { created: createdCategories, assignResponses };

  // 6. Publish the event.
  const published = await step('publishDraftEvent', () =>
    client.wixEventsV2.publishDraftEvent(eventId, { fields: ['DETAILS', 'REGISTRATION'] }),
  );
  out.event.published = published;

  // 7. Read everything back through the SDK.
  out.event.read = await step('getEvent', () =>
    client.wixEventsV2.getEvent(eventId, { fields: EVENT_FIELDS }),
  );
  const tdQuery = await step('queryTicketDefinitions', () =>
    client.ticketDefinitions.queryTicketDefinitions().eq('eventId', eventId).find(),
  );
  out.ticketDefinitions.read = tdQuery.items;
  out.ticketDefinitions.readOrder = ids(tdQuery.items);
  const policyQuery = await step('queryPolicies', () =>
    client.policies.queryPolicies().eq('eventId', eventId).find(),
  );
  out.policies.read = policyQuery.items;
  out.policies.readOrder = ids(policyQuery.items);
  out.schedule.read = await step('listScheduleItems', () =>
    client.schedule.listScheduleItems({ eventId: [eventId], state: ['PUBLISHED'] }),
  );
  out.categories.eventCategories = await step('listEventCategories', () =>
    client.categories.listEventCategories(eventId),
  );
  const categoryQuery = await step('queryCategories', () =>
    client.categories
      .queryCategories({ fieldset: ['COUNTS'] })
      .in('_id', ids(createdCategories))
      .find(),
  );
  out.categories.query = categoryQuery.items;

  // 8. Page through the same data with the SDK's query builders (small pages), so the paging
  //    metadata each service returns (cursors or offset/total) is what the builders read.
  out.paging = {
    policies: await step('queryPolicies (paged)', () =>
      walk(client.policies.queryPolicies().eq('eventId', eventId).limit(2)),
    ),
    ticketDefinitions: await step('queryTicketDefinitions (paged)', () =>
      walk(client.ticketDefinitions.queryTicketDefinitions().eq('eventId', eventId).limit(2)),
    ),
    scheduleItems: await step('queryScheduleItems (paged)', () =>
      walk(client.schedule.queryScheduleItems().eq('eventId', eventId).limit(2)),
    ),
    categories: await step('queryCategories (paged)', () =>
      walk(client.categories.queryCategories().in('_id', ids(createdCategories)).limit(1)),
    ),
  };

  // 9. One documented error: a 4th policy for the same event.
  currentStep = 'createPolicy (4th, expected to fail)';
  try {
    const extra = await client.policies.createPolicy({
      eventId,
      name: 'One Too Many',
      body: '<p>This policy must be refused.</p>',
    });
    out.fourthPolicy = { ok: true, created: extra };
  } catch (err) {
    out.fourthPolicy = { ok: false, ...errorSummary(err) };
  }

  out.requests = requests;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`conference.mjs failed at step "${currentStep}":\n${err?.message ?? err}\n`);
  if (err?.cause?.details) {
    process.stderr.write(`SDK error details: ${JSON.stringify(err.cause.details)}\n`);
  }
  if (requests.length) {
    process.stderr.write('requests so far:\n');
    for (const r of requests) process.stderr.write(`  ${r.method} ${r.path}${r.query} -> ${r.status}\n`);
  }
  process.exit(1);
});
