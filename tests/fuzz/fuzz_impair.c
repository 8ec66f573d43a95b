// SPDX-License-Identifier: MIT
/*
 * The impairment model's two parsers on untrusted text, and the model on what
 * they accept. The first byte picks the parser: even, the rest is a spec string
 * (up to a NUL); odd, the rest is a trace file.
 *
 * Oracles beyond the sanitizers: every refusal explains itself ("impair: ..." or
 * "fuzz.csv..."); an accepted configuration (without a trace= file, which this
 * target does not load) creates a model, whose decisions
 * (over 300 packets at send times taken from the input) deliver 0-2 copies, never
 * before the send time, with counters that add up; the same decisions repeat
 * after a reset.
 */
#include <stdlib.h>
#include <string.h>

#include "transport/impair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PKTS 300

static void run(const struct vx_impair_config *cfg, const uint8_t *data, size_t size)
{
	static uint64_t first[PKTS][3];
	struct vx_impair *m;
	struct vx_impair_stats st;
	uint64_t copies = 0;

	if (vx_impair_create(&m, cfg) < 0)
		abort(); /* whatever parses, creates */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t t = 0;

		for (size_t i = 0; i < PKTS; i++) {
			uint64_t d[2] = { 0, 0 };
			uint8_t b = size ? data[i % size] : 0;
			unsigned n;

			/* Steps from 0 to ~1 s, sometimes huge, so times saturate. */
			t += b == 0xff ? UINT64_MAX / 4 : (uint64_t)b * b * 16000;
			n = vx_impair_decide(m, t, (size_t)b * 7, d);
			if (n > 2 || (n >= 1 && d[0] < t) || (n == 2 && d[1] < t))
				abort();
			if (pass == 0) {
				first[i][0] = n;
				first[i][1] = n ? d[0] : 0;
				first[i][2] = n == 2 ? d[1] : 0;
				copies += n;
			} else if (first[i][0] != n || (n && first[i][1] != d[0]) ||
				   (n == 2 && first[i][2] != d[1])) {
				abort(); /* reset must replay the same decisions */
			}
		}
		vx_impair_stats(m, &st);
		if (st.packets != PKTS || st.delivered != copies ||
		    st.packets != st.lost + st.delivered - st.duplicated ||
		    st.rate_dropped > st.lost)
			abort();
		vx_impair_reset(m);
	}
	vx_impair_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_impair_config cfg;
	char err[VX_IMPAIR_ERR_LEN];

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		char *spec = malloc(size);

		if (!spec)
			return 0;
		memcpy(spec, data + 1, size - 1);
		spec[size - 1] = '\0';
		if (vx_impair_parse(spec, &cfg, err, sizeof(err)) == 0) {
			if (!cfg.trace_path[0])
				run(&cfg, data, size);
		} else if (!memchr(err, 0, sizeof(err)) || strncmp(err, "impair: ", 8)) {
			abort();
		}
		free(spec);
	} else {
		struct vx_impair_trace *t;

		if (vx_impair_trace_parse(&t, (const char *)data + 1, size - 1, "fuzz.csv", err,
					  sizeof(err)) == 0) {
			vx_impair_config_default(&cfg);
			cfg.trace = t;
			cfg.dup = data[0] & 2 ? 0.5 : 0;
			cfg.rate_bps = data[0] & 4 ? 100000 : 0;
			run(&cfg, data, size);
			vx_impair_trace_destroy(t);
		} else if (!memchr(err, 0, sizeof(err)) || strncmp(err, "fuzz.csv", 8)) {
			abort();
		}
	}
	return 0;
}
