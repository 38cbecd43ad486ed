# Sourced by the bench scripts that take numbers: `--help` prints the script's header
# comment, and every argument must be a positive whole number.
numeric_args() {
  local script=$1
  shift
  case "${1:-}" in
    -h|--help) sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  esac
  local arg
  for arg in "$@"; do
    [[ "$arg" =~ ^[1-9][0-9]*$ ]] || {
      echo "$script: '$arg' is not a positive whole number; see $script --help" >&2
      exit 2
    }
  done
}
