// SPDX-License-Identifier: MIT
/* The sender's adaptation controller: knobs from receiver reports (adapt.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/adapt.h"

static struct vx_feedback_rr report(double fraction)
{
	struct vx_feedback_rr rr = { 0 };

	rr.fraction_lost = vx_feedback_fraction_from(fraction);
	return rr;
}

static struct vx_adapt fresh(bool fec)
{
	struct vx_adapt_config cfg = { .frame_us = 20000, .fec = fec };
	struct vx_adapt a;

	vx_adapt_init(&a, &cfg, 0);
	return a;
}

static void test_quiet_path(void **state)
{
	struct vx_adapt a = fresh(true);

	(void)state;
	assert_false(a.knobs.fec);
	assert_int_equal(a.knobs.loss_perc, 0);
	assert_int_equal(a.knobs.bitrate, VX_ADAPT_BITRATE);
	assert_int_equal(a.knobs.red_depth, 0);
	for (int i = 0; i < 20; i++)
		vx_adapt_update(&a, &(struct vx_feedback_rr){ 0 });
	assert_false(a.knobs.fec);
	assert_int_equal(a.knobs.bitrate, VX_ADAPT_BITRATE);
}

/* 10 % loss: FEC on at the first report (e = 2 %), at LBRR's 32 kb/s floor for
 * low loss, one-deep redundancy; then the expected loss converges on 10 % and
 * the bitrate on 10 %'s floor. */
static void test_loss_turns_protection_on(void **state)
{
	struct vx_adapt a = fresh(true);
	struct vx_feedback_rr rr = report(0.10);
	const struct vx_adapt_knobs *k;

	(void)state;
	k = vx_adapt_update(&a, &rr);
	assert_true(k->fec);
	assert_int_equal(k->loss_perc, 2);
	assert_int_equal(k->bitrate, 32000);
	assert_int_equal(k->red_depth, 1);
	for (int i = 0; i < 9; i++)
		k = vx_adapt_update(&a, &rr);
	assert_int_equal(k->loss_perc, 9); /* 90 % of the way in 10 reports */
	for (int i = 0; i < 10; i++)
		k = vx_adapt_update(&a, &rr);
	assert_int_equal(k->loss_perc, 10);
	assert_int_equal(k->bitrate, vx_adapt_fec_bitrate(20000, 10));
	assert_int_equal(k->bitrate, 24000);
}

/* After the loss stops the protection stays 14 reports (adapt.h), then goes. */
static void test_release_is_slow(void **state)
{
	struct vx_adapt a = fresh(true);
	struct vx_feedback_rr lossy = report(0.10), clean = report(0);
	int n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		vx_adapt_update(&a, &lossy);
	while (vx_adapt_update(&a, &clean)->fec) {
		assert_true(a.knobs.loss_perc >= 1); /* LBRR needs some expected loss */
		n++;
	}
	assert_int_equal(n, 13);
	assert_int_equal(a.knobs.bitrate, VX_ADAPT_BITRATE);
	assert_int_equal(a.knobs.red_depth, 0);
}

static void test_fec_off_never_protects(void **state)
{
	struct vx_adapt a = fresh(false);
	struct vx_feedback_rr rr = report(0.3);

	(void)state;
	for (int i = 0; i < 40; i++)
		vx_adapt_update(&a, &rr);
	assert_false(a.knobs.fec);
	assert_int_equal(a.knobs.red_depth, 0);
	assert_int_equal(a.knobs.loss_perc, 30);
	assert_int_equal(a.knobs.bitrate, VX_ADAPT_BITRATE);
}

/* Bursts: depth 2 once a third of at least 4 runs are 2 frames or longer. */
static void test_bursts_deepen_redundancy(void **state)
{
	struct vx_adapt a = fresh(true);
	struct vx_feedback_rr rr = report(0.05);

	(void)state;
	rr.bursts = 2;
	rr.burst[0].length = 1;
	rr.burst[0].count = 2;
	rr.burst[1].length = 3;
	rr.burst[1].count = 1; /* 3 runs: too few to judge */
	assert_int_equal(vx_adapt_update(&a, &rr)->red_depth, 1);
	rr.burst[0].count = 3; /* 1 of 4 long: below a third */
	assert_int_equal(vx_adapt_update(&a, &rr)->red_depth, 1);
	rr.burst[1].count = 2; /* 2 of 5 */
	assert_int_equal(vx_adapt_update(&a, &rr)->red_depth, 2);
}

/* A fixed sender: init with the expected loss, knobs for it at once. */
static void test_fixed_and_limits(void **state)
{
	struct vx_adapt_config cfg = { .frame_us = 10000, .bitrate = 16000, .max_bitrate = 30000,
				       .fec = true };
	struct vx_adapt a;

	(void)state;
	vx_adapt_init(&a, &cfg, 0.03);
	assert_true(a.knobs.fec);
	assert_int_equal(a.knobs.loss_perc, 3);
	assert_int_equal(a.knobs.bitrate, 30000); /* 40 kb/s wanted, capped */
	vx_adapt_init(&a, &cfg, 2.0);
	assert_int_equal(a.knobs.loss_perc, VX_ADAPT_MAX_LOSS_PERC);
	assert_int_equal(vx_adapt_fec_bitrate(5000, 10), 0);
	assert_int_equal(vx_adapt_fec_bitrate(60000, 30), 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_path),
		cmocka_unit_test(test_loss_turns_protection_on),
		cmocka_unit_test(test_release_is_slow),
		cmocka_unit_test(test_fec_off_never_protects),
		cmocka_unit_test(test_bursts_deepen_redundancy),
		cmocka_unit_test(test_fixed_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
