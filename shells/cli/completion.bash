# bash completion for `codeyard` (installed as share/bash-completion/completions/codeyard).
# Completes commands, their subcommands and flags; file and folder arguments fall back to
# the shell's own completion. Kept in step with shells/cli by tests/cli/test_cli_completion.py.
_codeyard() {
  local cur prev words cword
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="version migrate config run doctor problems image serve user gc backup restore login logout workspace submit review jobs admin org"
  local storage="--data --storage --config --set"
  local cmd="" sub="" subsub="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -*) ;;
      *)
        if [[ -z "$cmd" ]]; then cmd="${COMP_WORDS[i]}"
        elif [[ -z "$sub" ]]; then sub="${COMP_WORDS[i]}"
        elif [[ -z "$subsub" ]]; then subsub="${COMP_WORDS[i]}"; fi
        ;;
    esac
  done
  case "$prev" in
    --data|--data-dir|--config|--stdin) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --role) COMPREPLY=($(compgen -W "user admin author queue assigned owner member" -- "$cur")); return ;;
    --priority) COMPREPLY=($(compgen -W "low normal high urgent" -- "$cur")); return ;;
  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi
  local subs="" flags="--help"
  case "$cmd" in
    user) subs="add list set-level set-role passwd disable"
      flags="$flags $storage --json --role --reviewer-level --password-stdin --enable" ;;
    problems) subs="import export list"; flags="$flags $storage --time-limit --format --executor" ;;
    workspace|ws) subs="list create rm exec push pull move"
      flags="$flags --json --image --stdin --time-limit" ;;
    review) subs="list show submit"
      flags="$flags --json --role --status --title --description --priority --level" ;;
    jobs) subs="stats"; flags="$flags --json" ;;
    admin) subs="users workspaces jobs replicas audit"  # admin20
      flags="$flags --json --csv --search --user --state --actor --action --target --from --to --limit" ;;
    org) subs="list create show rename delete members quota usage"  # follow17
      case "$sub" in
        members) [[ -z "$subsub" ]] && { subs="list add remove set-role"; sub=""; } ;;
        quota) [[ -z "$subsub" ]] && { subs="show set"; sub=""; } ;;
      esac
      flags="$flags --json --csv --name --slug --role --from --to" ;;
    image) subs="build list rm"; flags="$flags $storage" ;;
    config) flags="$flags $storage" ;;
    login) flags="$flags --username --password-stdin" ;;
    submit) flags="$flags --lang --json" ;;
    run) flags="$flags $storage --lang --time-limit --wall-time-limit --memory-limit --output-limit --stdin --executor --json --arg" ;;
    gc) flags="$flags $storage --executor --json" ;;
    backup) flags="$flags $storage" ;;
    restore) flags="$flags $storage --force" ;;
    migrate|doctor) flags="$flags $storage --executor" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -n "$subs" && -z "$sub" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _codeyard codeyard
