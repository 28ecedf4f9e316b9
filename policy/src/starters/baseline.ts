/**
 * `ceros policy starter baseline`: ordinary development work is allowed; credentials, system
 * configuration, `.env` files and the configuration of ceros and Claude Code are out of reach of
 * every tool, Bash included. Kept as YAML text so `starter` prints exactly what ships.
 */
export const BASELINE_POLICY_YAML = `# ceros starter policy: baseline
# Ordinary development work is allowed. Credentials, system configuration, .env files and the
# configuration of ceros and Claude Code are blocked for every tool, Bash included.
version: 1
name: baseline
description: Allow ordinary work; block credentials, system configuration and ceros/Claude Code configuration
default: allow
opaque:
  effect: ask
  reason: ceros cannot analyse this command statically; confirm that it is safe to run

rules:
  - id: ssh-keys
    description: SSH keys and configuration, of any user
    paths: ["~/.ssh/**", "**/.ssh/**"]
    effect: deny
    reason: SSH keys and configuration are off limits

  - id: cloud-credentials
    paths:
      - "~/.aws/**"
      - "~/.azure/**"
      - "~/.config/gcloud/**"
      - "~/.kube/**"
      - "~/.docker/config.json"
      - "~/.oci/**"
      - "**/.aws/credentials"
      - "~/.terraform.d/credentials.tfrc.json"
      - "~/.terraformrc"
      - "~/.config/containers/auth.json"
      - "**/rclone.conf"
    effect: deny
    reason: Cloud credentials are off limits

  - id: gpg-and-keychains
    paths: ["~/.gnupg/**", "**/.gnupg/**", "~/.password-store/**", "~/Library/Keychains/**", "~/.local/share/keyrings/**"]
    effect: deny
    reason: GPG keys and keychains are off limits

  - id: token-files
    paths:
      - "~/.netrc"
      - "~/.git-credentials"
      - "~/.config/git/credentials"
      - "~/.config/gh/**"
      - "~/.config/hub"
      - "~/.pypirc"
      - "~/.npmrc"
      - "~/.config/op/**"
      - "~/.claude/.credentials.json"
      - "~/.cargo/credentials"
      - "~/.cargo/credentials.toml"
      - "~/.gem/credentials"
      - "~/.pgpass"
      - "~/.vault-token"
      - "~/.config/composer/auth.json"
      - "~/.composer/auth.json"
    effect: deny
    reason: Files that hold access tokens are off limits

  - id: system-configuration
    paths: ["/etc/**"]
    effect: deny
    reason: System configuration under /etc is off limits

  - id: env-files
    paths: ["**/.env", "**/.env.*", "**/.env-*", "**/.env_*", "**/*.env", "**/.envrc"]
    except: ["**/.env.example", "**/.env.sample", "**/.env.template", "**/.env.dist"]
    effect: deny
    reason: .env files hold secrets and are off limits

  - id: nested-agents
    description: A coding agent started from a tool (claude -p, claude --bare) runs without ceros's hooks and journal
    programs: [claude, claude-code, "claude-code@*"]
    effect: deny
    reason: Another Claude Code started from a tool would run outside ceros; start it as \`ceros claude\` instead

  - id: ceros-and-claude-configuration
    description: Also enforced by ceros self-protection; listed so the rule shows up in permissions.deny
    paths:
      - "\${cerosHome}/**"
      - "**/.claude/settings.json"
      - "**/.claude/settings.local.json"
      - "~/.claude/settings.json"
      - "~/.claude.json"
      - "/etc/claude-code/**"
    access: write
    effect: deny
    reason: The configuration of ceros and Claude Code cannot be changed from a session

session:
  # Inline shell in skills and commands (!\`cmd\`) does not run (Claude Code's disableSkillShellExecution).
  skillShell: deny
  # A ceros session started from another session's tool call is marked nested in the journal.
  nestedSessions: allow
  # Hooks and MCP servers of other sources load only once approved with \`ceros approve\`.
  configApproval: required
`;
