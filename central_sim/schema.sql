-- Reference central schema. Portable SQL (SQLite and PostgreSQL): TEXT/INTEGER/BIGINT/DOUBLE PRECISION
-- (PostgreSQL's REAL is 4-byte: epoch seconds would lose their fraction), ON CONFLICT upserts.
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS persons (
    id_number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    ethnicity TEXT NOT NULL DEFAULT '01',
    birth_date TEXT NOT NULL,
    nationality TEXT NOT NULL DEFAULT 'CHN',
    id_valid_from TEXT,
    id_valid_until TEXT,
    insured INTEGER NOT NULL,
    medical_insurance TEXT NOT NULL,          -- employee / resident / none
    insured_city TEXT NOT NULL DEFAULT '',
    transfer_pending INTEGER NOT NULL DEFAULT 0,  -- employee medical insurance transfer not yet completed
    mobile TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    household_address TEXT NOT NULL DEFAULT '',
    residence_address TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    photo_jpeg_b64 TEXT,
    ssn TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cards (
    card_no TEXT PRIMARY KEY,
    id_number TEXT NOT NULL,
    city TEXT NOT NULL,                       -- region code, 350100 = Fuzhou
    status TEXT NOT NULL,                     -- normal/loss_reported/suspended/cancelled/in_production
    issued_at TEXT,
    bank_code TEXT NOT NULL DEFAULT '',
    collected_at TEXT,
    activated INTEGER NOT NULL DEFAULT 0,
    chip_atr TEXT,
    card_id_code TEXT,
    application_id TEXT,
    status_changed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_person ON cards (id_number);

CREATE TABLE IF NOT EXISTS applications (
    application_id TEXT PRIMARY KEY,
    id_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    status TEXT NOT NULL,                     -- persons.APPLICATION_STATUSES
    card_no TEXT NOT NULL,
    replaces_card_no TEXT,
    delivery TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_person ON applications (id_number);

-- Why an application accepted offline was refused on delivery (the citizen is told: progress query)
CREATE TABLE IF NOT EXISTS application_reasons (
    application_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);

-- A loss report, contact change or activation the central refused after a kiosk had taken it (and
-- given a receipt): kept for the citizen, who sees it in the progress query (central_sim/refusals.py)
CREATE TABLE IF NOT EXISTS request_refusals (
    kiosk_id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    id_number TEXT NOT NULL,
    service TEXT NOT NULL,
    submitted_at TEXT,                       -- when the request says it was made (reported_at, requested_at)
    refused_at TEXT NOT NULL,
    code TEXT NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, request_key)
);
CREATE INDEX IF NOT EXISTS request_refusals_person ON request_refusals (id_number);
-- Text messages telling a citizen the outcome of a request decided after they had left
-- (central_sim/notices.py): the SMS gateway's outbox, one per request; the simulated carrier delivers at once.
CREATE TABLE IF NOT EXISTS sms_notices (
    reference TEXT PRIMARY KEY,              -- the request_id or application_id the message names
    mobile TEXT NOT NULL,
    kind TEXT NOT NULL,                      -- done | refusal
    body TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sms_notices_mobile ON sms_notices (mobile);

CREATE TABLE IF NOT EXISTS application_timeline (
    application_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE IF NOT EXISTS accounts (
    account_no TEXT PRIMARY KEY,
    card_no TEXT NOT NULL UNIQUE,
    id_number TEXT NOT NULL,
    account_class TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    opened_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS loss_reports (
    card_no TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX IF NOT EXISTS loss_reports_card ON loss_reports (card_no);

CREATE TABLE IF NOT EXISTS pin_authorizations (
    authorization_id TEXT PRIMARY KEY,
    card_no TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    face_score DOUBLE PRECISION NOT NULL,
    face_method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pin_events (
    card_no TEXT NOT NULL,
    event TEXT NOT NULL,
    at TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS contact_changes (
    id_number TEXT NOT NULL,
    fields TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,                  -- epoch seconds (server clock) of the last heartbeat
    last_seq INTEGER NOT NULL,
    interval_s DOUBLE PRECISION NOT NULL DEFAULT 30,
    state TEXT NOT NULL                       -- the last heartbeat body (JSON)
);

-- The kiosk's current process (boot_id from its heartbeats): a new boot_id restarts the seq ordering.
CREATE TABLE IF NOT EXISTS kiosk_boots (
    kiosk_id TEXT PRIMARY KEY,
    boot_id TEXT NOT NULL,                    -- '' for a kiosk that sends none
    prev_boot_id TEXT NOT NULL DEFAULT '',    -- the boot it replaced: its late heartbeats are stale
    restarts INTEGER NOT NULL DEFAULT 0       -- boot changes seen by the central
);

CREATE TABLE IF NOT EXISTS kiosk_commands (
    command_id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    command TEXT NOT NULL,                    -- JSON
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS kiosk_commands_pending ON kiosk_commands (delivered_at, kiosk_id);

CREATE TABLE IF NOT EXISTS kiosk_events (
    event_id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    received_at TEXT NOT NULL,
    cleared INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS kiosk_events_kiosk ON kiosk_events (kiosk_id, received_at);

-- A citizen transaction's outcome filed under the number on its receipt (交易号), from the kiosk's
-- transaction_outcome event: what the counter looks up (console: /console/transactions).
CREATE TABLE IF NOT EXISTS kiosk_transactions (
    transaction_no TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    at TEXT NOT NULL,                         -- when the session ended (the kiosk's clock)
    outcome TEXT NOT NULL,                    -- service.end, e.g. loss_report.done
    code TEXT NOT NULL,                       -- the end's code, e.g. pending, refused reason
    received_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS stock_ledgers (
    kiosk_id TEXT NOT NULL,
    date TEXT NOT NULL,
    entries TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, date)
);

-- Idempotency: each key's outcome, written in the same transaction as the effect.
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency (created_at);

-- Test instrumentation: how many times each key's effect was applied (must never exceed 1).
CREATE TABLE IF NOT EXISTS test_effects (key TEXT PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL);  -- account numbers pass 2^31

-- The kiosks' audit-chain heads (audit_anchor.py): anchored (seq, head) pairs, a window per kiosk …
CREATE TABLE IF NOT EXISTS audit_anchors (
    kiosk_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    head TEXT NOT NULL,                       -- HMAC-SHA256 of record seq, 64 lowercase hex
    received_epoch DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,                     -- heartbeat / event
    PRIMARY KEY (kiosk_id, seq)
);
-- … and the last heartbeat's head with the first problem found (forked / rewound), kept until cleared.
CREATE TABLE IF NOT EXISTS audit_state (
    kiosk_id TEXT PRIMARY KEY,
    hb_seq BIGINT NOT NULL,                   -- the heartbeat seq that reported seq/head (-1: none yet)
    seq BIGINT NOT NULL,
    head TEXT NOT NULL,
    problem TEXT NOT NULL DEFAULT '',
    problem_at TEXT NOT NULL DEFAULT ''
);
-- E-card sign-in codes (ecard.py): only a digest of each code; bound to one kiosk, used once.
CREATE TABLE IF NOT EXISTS ecard_codes (
    code_hash TEXT PRIMARY KEY,               -- SHA-256 hex of the code
    id_number TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- document capture (高拍仪, issue 21 §3): proofs of relationship and proxies' papers, for review
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    service TEXT NOT NULL,
    purpose TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id_number TEXT NOT NULL,
    presenter_id_number TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    jpeg_b64 TEXT NOT NULL,
    review_status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_subject ON documents (subject_id_number, review_status);

-- SMS verification of a mobile number (central_sim/sms.py; regulation art. 16 "健全电话号码").
-- Codes are kept only as a salted hash; sms_sends counts every code sent to a number (rate limits).
CREATE TABLE IF NOT EXISTS sms_codes (
    otp_id TEXT PRIMARY KEY,
    mobile TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,                     -- sent / verified / void (5 wrong tries, or a newer code) / used
    verification_id TEXT
);
CREATE TABLE IF NOT EXISTS sms_sends (mobile TEXT NOT NULL, sent_at TEXT NOT NULL);
-- The simulated carrier: what the citizen's phone received. Read only by the loopback test hook.
CREATE TABLE IF NOT EXISTS sms_sim_inbox (mobile TEXT NOT NULL, otp_id TEXT NOT NULL, code TEXT NOT NULL,
                                          sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mobile_status (
    id_number TEXT PRIMARY KEY,
    mobile TEXT NOT NULL,
    verified INTEGER NOT NULL,                -- 1: confirmed by an SMS code; 0: queued offline, unverified
    at TEXT NOT NULL
);

-- Fee orders for a replacement's 工本费 (central_sim/payments.py; regulation arts. 33, 50): one per application.
CREATE TABLE IF NOT EXISTS payments (
    payment_id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE,
    kiosk_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    status TEXT NOT NULL,                     -- pending / paid / voided / refunded
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    paid_at TEXT,
    receipt_no TEXT,                          -- 电子非税票据号, once paid
    voided_at TEXT,
    void_reason TEXT,                         -- cancelled / timed_out
    refunded_at TEXT,
    refund_fen INTEGER NOT NULL DEFAULT 0
);
