# SPDX-License-Identifier: Apache-2.0
# The vault directory ($SECRETCTL_VAULT_DIR of the caller) is covered: the file cannot be read.
# about: sandbox
# expect: exit=0
# expect-out: vault-hidden
if cat "$2/vault.db" 2>/dev/null; then echo "ESCAPED read the vault file"; exit 1; fi
if ls -A "$2" 2>/dev/null | grep -q .; then echo "ESCAPED listed the vault dir"; exit 1; fi
echo vault-hidden
