/**
 * `ceros policy starter strict`: deny by default; Bash may run only allowlisted programs, reads
 * and writes stay inside the project, sensitive paths are blocked even there, nothing that
 * cannot be analysed runs, and no MCP server is allowed.
 */
export const STRICT_POLICY_YAML = `# ceros starter policy: strict
# Deny by default. Bash runs only allowlisted programs; reads and writes stay inside the project;
# code that cannot be analysed statically is denied; no MCP server may run.
version: 1
name: strict
description: Allowlisted programs only, project-only file access, no MCP servers
default: deny
defaultReason: The strict policy allows only the tools and programs it lists
opaque:
  effect: deny
  reason: The strict policy denies commands that cannot be analysed statically

rules:
  - id: tools
    tools: [Read, Grep, Glob, LS, NotebookRead, Edit, Write, MultiEdit, NotebookEdit, Bash, BashOutput, KillShell, TodoWrite, Task, Agent, ExitPlanMode]
    effect: allow

  - id: bash-allowlist
    programs: ["*"]
    except:
      - git
      - ls
      - cat
      - head
      - tail
      - wc
      - grep
      - rg
      - find
      - echo
      - printf
      - pwd
      - sort
      - uniq
      - cut
      - tr
      - diff
      - jq
      - sed
      - mkdir
      - touch
      - cp
      - mv
      - rm
      - rmdir
      - tee
      - awk
      - npm
      - pnpm
      - yarn
      - bun
      - node
      - make
      - cargo
      - go
      - tsc
      - eslint
      - prettier
      - pytest
      - "true"
      - "false"
      - test
      - "["
      - basename
      - dirname
      - date
      - which
      - xargs
      - cd
    effect: deny
    reason: The strict policy lets Bash run only allowlisted programs

  - id: reads-in-project
    paths: ["/**"]
    except: ["\${project}/**"]
    access: read
    effect: deny
    reason: The strict policy allows reading files inside the project only

  - id: writes-in-project
    paths: ["/**"]
    except: ["\${project}/**"]
    access: write
    effect: deny
    reason: The strict policy allows writing files inside the project only

  - id: no-network
    hosts: ["*"]
    effect: deny
    reason: The strict policy does not let tools open network connections

  - id: ssh-keys
    paths: ["~/.ssh/**", "**/.ssh/**"]
    effect: deny
    reason: SSH keys and configuration are off limits

  - id: cloud-credentials
    paths: ["~/.aws/**", "~/.azure/**", "~/.config/gcloud/**", "~/.kube/**", "~/.docker/config.json", "**/.aws/credentials", "~/.terraform.d/credentials.tfrc.json", "~/.terraformrc", "~/.config/containers/auth.json", "**/rclone.conf"]
    effect: deny
    reason: Cloud credentials are off limits

  - id: token-files
    paths: ["~/.netrc", "~/.git-credentials", "~/.config/git/credentials", "~/.config/gh/**", "~/.config/hub", "~/.pypirc", "~/.npmrc", "~/.config/op/**", "~/.claude/.credentials.json", "~/.cargo/credentials", "~/.cargo/credentials.toml", "~/.gem/credentials", "~/.pgpass", "~/.vault-token", "~/.config/composer/auth.json", "~/.composer/auth.json"]
    effect: deny
    reason: Files that hold access tokens are off limits

  - id: gpg-and-keychains
    paths: ["~/.gnupg/**", "**/.gnupg/**", "~/.password-store/**", "~/Library/Keychains/**", "~/.local/share/keyrings/**"]
    effect: deny
    reason: GPG keys and keychains are off limits

  - id: system-configuration
    paths: ["/etc/**"]
    effect: deny
    reason: System configuration under /etc is off limits

  - id: env-files
    paths: ["**/.env", "**/.env.*", "**/.env-*", "**/.env_*", "**/*.env", "**/.envrc"]
    except: ["**/.env.example", "**/.env.sample", "**/.env.template"]
    effect: deny
    reason: .env files hold secrets and are off limits

  - id: git-hooks-and-config
    description: Git runs hooks and programs named in .git/config (core.hooksPath, core.fsmonitor, filters) on later git commands
    paths: ["**/.git/hooks/**", "**/.git/config", "**/.git/info/attributes"]
    access: write
    effect: deny
    reason: The strict policy does not let a session plant git hooks or change the repository's git configuration

  - id: nested-agents
    description: A coding agent started from a tool (claude -p, claude --bare) runs without ceros's hooks and journal
    programs: [claude, claude-code, "claude-code@*"]
    effect: deny
    reason: Another Claude Code started from a tool would run outside ceros; start it as \`ceros claude\` instead

  - id: ceros-and-claude-configuration
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
  # A ceros session started from another session's tool call is refused.
  nestedSessions: deny
  # Hooks and MCP servers of other sources load only once approved with \`ceros approve\`.
  configApproval: required

mcp:
  allow: []
  reason: The strict policy allows no MCP servers
`;
