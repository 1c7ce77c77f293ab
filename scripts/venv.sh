# Sourced by scripts/test and scripts/demo: a virtual environment inside the project (.venv),
# created on first use and reused after, so nothing is ever installed into the user's own
# interpreter (a Debian system Python refuses that anyway: PEP 668).
# Usage: . scripts/venv.sh EXTRAS   (EXTRAS as in pyproject.toml, e.g. "test,dev,fast"; "" for none)
# Sets PY to the environment's python.

venv_dir="${ERC8128_VENV:-.venv}"
if [ ! -x "$venv_dir/bin/python" ]; then
    if ! python3 -m venv "$venv_dir" 2>/dev/null; then
        # Debian splits venv out of the interpreter: python3-venv (a Debian package).
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        rm -rf "$venv_dir"
        python3 -m venv "$venv_dir"
    fi
fi
PY="$venv_dir/bin/python"

# Install (editable) only when pyproject.toml or the extras changed since the last install.
venv_extras="$1"
venv_spec="."
[ -z "$venv_extras" ] || venv_spec=".[$venv_extras]"
venv_want="$(sha256sum pyproject.toml | cut -c1-64)"
venv_stamp="$venv_dir/.erc8128-installed-${venv_extras:-base}"
if [ "$(cat "$venv_stamp" 2>/dev/null)" != "$venv_want" ]; then
    "$PY" -m pip install -q --disable-pip-version-check -e "$venv_spec" 2>&1 \
        | grep -v -e 'is ignored: it is neither' -e 'A new release of pip' -e 'To update, run:' || true
    "$PY" -c "import erc8128" # fails loudly if the install did not happen
    echo "$venv_want" > "$venv_stamp"
fi
