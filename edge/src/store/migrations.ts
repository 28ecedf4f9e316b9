import { SIEM_MIGRATION } from '../siem/siem-store.ts';
import { LEDGER_MIGRATION } from './ledger-migration.ts';
import { CODE_GUESS_MIGRATION } from './libsql-code-guesses.ts';
import { INTEGRITY_MIGRATION } from './libsql-integrity.ts';

/**
 * Versioned schema migrations. Each runs once, in order, inside one write batch together with its
 * row in `schema_migrations`; every statement is also idempotent (IF NOT EXISTS), so two edge
 * instances starting at once against one database both end up at the same schema.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE IF NOT EXISTS edge_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS orgs (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        allowed_domains TEXT NOT NULL DEFAULT '[]',
        require_approval INTEGER NOT NULL DEFAULT 0,
        -- Production deployments would keep this key in a KMS and store only a key reference here.
        signing_private_key TEXT NOT NULL,
        signing_public_key TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        email TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('provisioned', 'active', 'revoked')),
        created_ms INTEGER NOT NULL,
        verified_ms INTEGER,
        revoked_ms INTEGER,
        UNIQUE (org_id, email)
      )`,
      `CREATE TABLE IF NOT EXISTS admins (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        email TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
        created_ms INTEGER NOT NULL,
        UNIQUE (org_id, email)
      )`,
      `CREATE INDEX IF NOT EXISTS admins_by_email ON admins (email)`,
      `CREATE TABLE IF NOT EXISTS admin_sessions (
        token_hash TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        admin_id TEXT NOT NULL REFERENCES admins(id),
        csrf_token TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS email_codes (
        id TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('enroll', 'admin')),
        subject TEXT NOT NULL,
        email TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        used_ms INTEGER
      )`,
      `CREATE INDEX IF NOT EXISTS email_codes_by_subject ON email_codes (purpose, subject, created_ms)`,
      `CREATE TABLE IF NOT EXISTS rate_limits (
        key TEXT PRIMARY KEY,
        window_start_ms INTEGER NOT NULL,
        count INTEGER NOT NULL
      ) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS enrollments (
        id TEXT PRIMARY KEY,
        org_id TEXT REFERENCES orgs(id),
        user_code TEXT NOT NULL UNIQUE,
        poll_token_hash TEXT NOT NULL,
        device_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        key_protection TEXT NOT NULL,
        device_info TEXT NOT NULL,
        email TEXT,
        status TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        completed_ms INTEGER
      )`,
      `CREATE TABLE IF NOT EXISTS devices (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        user_id TEXT NOT NULL REFERENCES users(id),
        public_key TEXT NOT NULL UNIQUE,
        key_protection TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
        hostname TEXT,
        os TEXT,
        arch TEXT,
        ceros_version TEXT,
        claude_version TEXT,
        enrolled_ms INTEGER NOT NULL,
        approved_ms INTEGER,
        revoked_ms INTEGER,
        revoked_reason TEXT,
        last_seen_ms INTEGER,
        head_seq INTEGER,
        head_hash TEXT,
        posture TEXT,
        posture_ok INTEGER,
        posture_ms INTEGER
      )`,
      `CREATE INDEX IF NOT EXISTS devices_by_org ON devices (org_id, enrolled_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS devices_by_user ON devices (org_id, user_id)`,
      `CREATE TABLE IF NOT EXISTS request_nonces (
        device_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (device_id, nonce)
      ) WITHOUT ROWID`,
      `CREATE INDEX IF NOT EXISTS request_nonces_by_expiry ON request_nonces (expires_ms)`,
      // The raw journal: exactly the canonical bytes the device signed, one row per (device, seq).
      `CREATE TABLE IF NOT EXISTS entries (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        org_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        session_id TEXT NOT NULL,
        type TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        bytes TEXT NOT NULL,
        PRIMARY KEY (device_id, seq)
      ) WITHOUT ROWID`,
      `CREATE INDEX IF NOT EXISTS entries_by_session ON entries (device_id, session_id, seq)`,
      `CREATE TABLE IF NOT EXISTS sessions (
        id INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        user_id TEXT,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        exit_code INTEGER,
        last_event_ms INTEGER NOT NULL,
        certificate TEXT,
        key_protection TEXT,
        cwd TEXT,
        project_dir TEXT,
        claude_args TEXT,
        ceros_version TEXT,
        claude_version TEXT,
        policy_hash TEXT,
        posture TEXT,
        first_prompt TEXT,
        prompts INTEGER NOT NULL DEFAULT 0,
        tool_calls INTEGER NOT NULL DEFAULT 0,
        blocks INTEGER NOT NULL DEFAULT 0,
        UNIQUE (device_id, session_id)
      )`,
      `CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (org_id, started_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (org_id, user_id, started_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS sessions_by_device ON sessions (org_id, device_id, started_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS sessions_open ON sessions (org_id, ended_ms, last_event_ms)`,
      `CREATE TABLE IF NOT EXISTS tool_calls (
        id INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        user_id TEXT,
        tool_use_id TEXT NOT NULL,
        tool_name TEXT NOT NULL,
        mcp_server TEXT,
        agent_id TEXT,
        effect TEXT,
        rule TEXT,
        reason TEXT,
        mode TEXT,
        policy_hash TEXT,
        input TEXT,
        time_ms INTEGER NOT NULL,
        decision_seq INTEGER,
        result_seq INTEGER,
        duration_ms INTEGER,
        error TEXT,
        response TEXT,
        search_text TEXT NOT NULL DEFAULT '',
        UNIQUE (device_id, session_id, tool_use_id)
      )`,
      `CREATE INDEX IF NOT EXISTS tool_calls_by_time ON tool_calls (org_id, time_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS tool_calls_by_tool ON tool_calls (org_id, tool_name, time_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS tool_calls_by_effect ON tool_calls (org_id, effect, time_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS tool_calls_by_user ON tool_calls (org_id, user_id, time_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS tool_calls_by_device ON tool_calls (org_id, device_id, time_ms DESC, id DESC)`,
      // Substring search over tool input/output: an external-content FTS5 table with the trigram
      // tokenizer, which answers LIKE '%text%' from the index (SQLite FTS5 docs, section 4.3.2).
      `CREATE VIRTUAL TABLE IF NOT EXISTS tool_calls_fts USING fts5(
        search_text, content='tool_calls', content_rowid='id', tokenize='trigram'
      )`,
      `CREATE TRIGGER IF NOT EXISTS tool_calls_fts_insert AFTER INSERT ON tool_calls BEGIN
        INSERT INTO tool_calls_fts (rowid, search_text) VALUES (new.id, new.search_text);
      END`,
      `CREATE TRIGGER IF NOT EXISTS tool_calls_fts_delete AFTER DELETE ON tool_calls BEGIN
        INSERT INTO tool_calls_fts (tool_calls_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
      END`,
      `CREATE TRIGGER IF NOT EXISTS tool_calls_fts_update AFTER UPDATE OF search_text ON tool_calls BEGIN
        INSERT INTO tool_calls_fts (tool_calls_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO tool_calls_fts (rowid, search_text) VALUES (new.id, new.search_text);
      END`,
      `CREATE TABLE IF NOT EXISTS tool_definitions (
        org_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        name TEXT NOT NULL,
        mcp_server TEXT,
        description TEXT,
        input_schema TEXT,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (org_id, hash)
      ) WITHOUT ROWID`,
      `CREATE INDEX IF NOT EXISTS tool_definitions_by_name ON tool_definitions (org_id, name, hash)`,
      `CREATE INDEX IF NOT EXISTS tool_definitions_by_server ON tool_definitions (org_id, mcp_server, name, hash)`,
      `CREATE TABLE IF NOT EXISTS tool_definition_devices (
        org_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        device_id TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (org_id, hash, device_id)
      ) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS mcp_servers_seen (
        org_id TEXT NOT NULL,
        name TEXT NOT NULL,
        identity TEXT NOT NULL,
        status TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        blocked_attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (org_id, name, identity)
      ) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS mcp_server_devices (
        org_id TEXT NOT NULL,
        name TEXT NOT NULL,
        identity TEXT NOT NULL,
        device_id TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (org_id, name, identity, device_id)
      ) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS posture_history (
        id INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        ok INTEGER,
        posture TEXT NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS posture_by_device ON posture_history (org_id, device_id, time_ms DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS posture_failures ON posture_history (org_id, ok, time_ms)`,
      `CREATE TABLE IF NOT EXISTS activity (
        id INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT
      )`,
      `CREATE INDEX IF NOT EXISTS activity_by_org ON activity (org_id, id DESC)`,
      `CREATE TABLE IF NOT EXISTS adoption_gaps (
        id INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        user_id TEXT,
        claude_session_id TEXT NOT NULL,
        cwd TEXT,
        reported_ms INTEGER NOT NULL,
        details TEXT,
        UNIQUE (device_id, claude_session_id)
      )`,
      `CREATE INDEX IF NOT EXISTS adoption_gaps_by_org ON adoption_gaps (org_id, reported_ms DESC, id DESC)`,
      `CREATE TABLE IF NOT EXISTS policies (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        published_version INTEGER,
        UNIQUE (org_id, name)
      )`,
      `CREATE TABLE IF NOT EXISTS policy_versions (
        policy_id TEXT NOT NULL REFERENCES policies(id),
        version INTEGER NOT NULL,
        org_id TEXT NOT NULL,
        source TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (policy_id, version)
      )`,
      `CREATE TABLE IF NOT EXISTS policy_bundles (
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        etag TEXT NOT NULL,
        document TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (org_id, version)
      )`,
      `CREATE TABLE IF NOT EXISTS managed_mcp_servers (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        UNIQUE (org_id, name)
      )`,
    ],
  },
  {
    version: 2,
    name: 'query tables for the entries the agent really writes',
    // ALTER TABLE has no IF NOT EXISTS: migrate() treats a racing instance's "duplicate column" as
    // applied once that instance's schema_migrations row is there.
    statements: [
      `ALTER TABLE sessions ADD COLUMN claude_session_id TEXT`,
      `ALTER TABLE sessions ADD COLUMN model TEXT`,
      `ALTER TABLE sessions ADD COLUMN policy TEXT`,
      `ALTER TABLE sessions ADD COLUMN posture_ok INTEGER`,
      `ALTER TABLE sessions ADD COLUMN signal TEXT`,
      `ALTER TABLE sessions ADD COLUMN duration_ms INTEGER`,
      `ALTER TABLE sessions ADD COLUMN subagents INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE tool_calls ADD COLUMN agent_type TEXT`,
      `ALTER TABLE tool_calls ADD COLUMN detail TEXT`,
      `ALTER TABLE tool_calls ADD COLUMN monitor TEXT`,
      // The api.response entry whose tool_use asked for the call; the timeline shows it there.
      `ALTER TABLE tool_calls ADD COLUMN requested_seq INTEGER`,
      `ALTER TABLE tool_calls ADD COLUMN spawned_agent_id TEXT`,
      // The tool_result Claude Code sent the model (the next api.request): what the model was told.
      `ALTER TABLE tool_calls ADD COLUMN model_result TEXT`,
      `ALTER TABLE tool_calls ADD COLUMN model_result_error INTEGER`,
      `ALTER TABLE posture_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'snapshot'`,
      `ALTER TABLE posture_history ADD COLUMN changes TEXT`,
      `CREATE INDEX IF NOT EXISTS posture_by_session ON posture_history (device_id, session_id, seq)`,
      // One row per Messages API round trip of a session, to tell the main thread from subagents.
      `CREATE TABLE IF NOT EXISTS api_turns (
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        request_no INTEGER NOT NULL,
        request_seq INTEGER,
        response_seq INTEGER,
        system_hash TEXT,
        subagent INTEGER,
        model TEXT,
        stop_reason TEXT,
        status INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        PRIMARY KEY (device_id, session_id, request_no)
      ) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS system_prompts (
        org_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        seq INTEGER NOT NULL,
        subagent INTEGER NOT NULL,
        claude_version TEXT,
        PRIMARY KEY (device_id, session_id, hash)
      ) WITHOUT ROWID`,
    ],
  },
  LEDGER_MIGRATION,
  CODE_GUESS_MIGRATION,
  SIEM_MIGRATION,
  INTEGRITY_MIGRATION,
];
