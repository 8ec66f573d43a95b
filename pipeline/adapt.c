// SPDX-License-Identifier: MIT
/* The sender's adaptation controller: see adapt.h for the policy. */
#include "pipeline/adapt.h"

#include <math.h>
#include <string.h>

#define ALPHA    0.2
#define FEC_ON   0.01
#define FEC_OFF  0.005

int vx_adapt_fec_bitrate(unsigned frame_us, int loss_perc)
{
	int extra = frame_us < 20000 ? 8000 : 0;

	if (frame_us < 10000)
		return 0; /* 2.5 and 5 ms frames are CELT-only: no LBRR */
	if (loss_perc <= 5)
		return 32000 + extra;
	if (loss_perc <= 10)
		return 24000 + extra;
	return 20000 + extra;
}

static void decide(struct vx_adapt *a)
{
	struct vx_adapt_knobs *k = &a->knobs;
	int need;

	k->loss_perc = (int)lround(a->loss * 100);
	if (k->loss_perc > VX_ADAPT_MAX_LOSS_PERC)
		k->loss_perc = VX_ADAPT_MAX_LOSS_PERC;
	if (!a->cfg.fec)
		k->fec = false;
	else if (a->loss >= FEC_ON)
		k->fec = true;
	else if (a->loss < FEC_OFF)
		k->fec = false;
	/* libopus emits no LBRR at an expected loss of 0 %. */
	if (k->fec && k->loss_perc < 1)
		k->loss_perc = 1;
	k->bitrate = a->cfg.bitrate;
	need = k->fec ? vx_adapt_fec_bitrate(a->cfg.frame_us, k->loss_perc) : 0;
	if (need > k->bitrate)
		k->bitrate = need < a->cfg.max_bitrate ? need : a->cfg.max_bitrate;
	k->red_depth = k->fec ? a->depth : 0;
}

void vx_adapt_init(struct vx_adapt *a, const struct vx_adapt_config *cfg, double loss)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (!a->cfg.bitrate)
		a->cfg.bitrate = VX_ADAPT_BITRATE;
	if (!a->cfg.max_bitrate)
		a->cfg.max_bitrate = VX_ADAPT_MAX_BITRATE;
	if (a->cfg.max_bitrate < a->cfg.bitrate)
		a->cfg.max_bitrate = a->cfg.bitrate;
	a->loss = loss < 0 ? 0 : loss > 1 ? 1 : loss;
	a->depth = 1;
	decide(a);
}

const struct vx_adapt_knobs *vx_adapt_update(struct vx_adapt *a, const struct vx_feedback_rr *rr)
{
	double f = vx_feedback_fraction(rr->fraction_lost);
	uint64_t runs = 0, long_runs = 0;

	a->loss += (f - a->loss) * ALPHA;
	for (unsigned i = 0; i < rr->bursts && i < VX_FEEDBACK_MAX_BURSTS; i++) {
		runs += rr->burst[i].count;
		if (rr->burst[i].length >= 2)
			long_runs += rr->burst[i].count;
	}
	/* A few runs say little: keep the depth until there are some. */
	if (runs >= 4)
		a->depth = 3 * long_runs >= runs ? VX_ADAPT_MAX_DEPTH : 1;
	a->reports++;
	decide(a);
	return &a->knobs;
}
