/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the 1Password CSV importer (ix_read with IX_1PASSWORD) on arbitrary bytes; the
 * properties are in import-check.h. */
#include "import-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ix_doc_free(import_run(data, size, IX_1PASSWORD, true));
	return 0;
}
