/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the secretctl JSON importer (ix_read with IX_JSON) on arbitrary bytes; the
 * properties are in import-check.h. */
#include "import-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ix_doc_free(import_run(data, size, IX_JSON, false));
	return 0;
}
