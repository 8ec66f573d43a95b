/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_QUALITY_H
#define VX_AUDIO_QUALITY_H

/*
 * Objective speech quality of a degraded signal (DEG: what came out of the
 * pipeline) against its reference (REF: what went in). Both are 48 kHz mono
 * int16, as vx_wav_load() delivers them. Three steps:
 *
 * 1. Alignment. The delay of DEG behind REF is the lag of the largest value of
 *    their full cross-correlation, computed exactly (in double, by FFT over the
 *    whole of both signals, zero-padded so nothing wraps): any integer delay up to
 *    the signals' lengths, either sign, is found to the sample. Positive means DEG
 *    lags REF (sox's "pad 0.1" gives +4800). Only the overlapping parts are
 *    compared. Memory: about 24 bytes per sample of nref + ndeg.
 *
 * 2. STOI, short-time objective intelligibility (Taal, Hendriks, Heusdens, Jensen,
 *    IEEE TASLP 19(7):2125-2136, 2011), following the authors' MATLAB stoi.m and
 *    its Python port pystoi step for step: resample to 10 kHz; drop the 256-sample
 *    (50 % overlap, Hann) frames whose clean energy is more than 40 dB below the
 *    loudest clean frame, from both signals, and overlap-add the rest back; STFT
 *    with 256-sample Hann frames, hop 128, zero-padded to 512; 15 one-third-octave
 *    bands from 150 Hz (band edges snapped to the nearest FFT bin); segments of
 *    N = 30 frames (384 ms); each degraded band envelope scaled to the clean one's
 *    norm and clipped at (1 + 10^(15/20)) times it (beta = -15 dB); the correlation
 *    of each band and segment, averaged. d lies in [-1, 1]: 1 for identical
 *    signals, about 0 for unrelated ones; it predicts word intelligibility
 *    monotonically. One difference from stoi.m: the 48 -> 10 kHz resampler is
 *    speexdsp's (quality 10, delay compensated) rather than MATLAB's resample();
 *    both are low-pass filters with cut-off near 5 kHz, so scores should differ
 *    only in the third decimal (not yet checked against pystoi's output).
 *
 * 3. LSD, log-spectral distance in dB, at 48 kHz: 20 ms Hann frames (960 samples),
 *    hop 10 ms, 481 bins from 0 to 24 kHz; per frame sqrt(mean over bins of
 *    (10 log10((Pref + floor) / (Pdeg + floor)))^2), averaged over the frames whose
 *    reference energy is within 40 dB of the loudest reference frame (STOI's rule).
 *    P is the periodogram normalised by the window's energy, in full-scale units
 *    (white noise of variance s^2 gives P = s^2), and floor = 1e-10 (-100 dB), the
 *    level of 16-bit quantisation noise (1/(12 * 32768^2) = -101 dB): differences
 *    below what 16 bits can hold do not count. 0 for identical signals.
 *
 * None of this is real-time code: it allocates, plans FFTs and takes tens of
 * milliseconds per second of audio. FFTW's planner is not thread-safe, so contexts
 * are created, used and destroyed by one thread at a time (compare plans the
 * cross-correlation's transform, whose size depends on the input).
 */
#include <stddef.h>
#include <stdint.h>

#define VX_QUALITY_RATE        48000 /* Hz: the rate of both inputs */
#define VX_QUALITY_MIN_SAMPLES 24000 /* 0.5 s: shortest input accepted, each signal */
#define VX_QUALITY_STOI_RATE   10000 /* Hz: STOI's internal rate */
#define VX_QUALITY_STOI_N      30    /* frames per STOI segment (384 ms) */
#define VX_QUALITY_LSD_FRAME   960   /* samples: 20 ms at 48 kHz */
#define VX_QUALITY_LSD_FLOOR   1e-10 /* full-scale power: -100 dB */

struct vx_quality {
	double stoi;           /* STOI d, in [-1, 1] */
	double lsd_db;         /* log-spectral distance, dB, >= 0 */
	int64_t delay_samples; /* DEG behind REF, in 48 kHz samples (negative: ahead) */
	double delay_ms;       /* the same in milliseconds */
	size_t frames_used;    /* STOI: 10 kHz STFT frames left after silence removal */
	size_t lsd_frames;     /* LSD: 20 ms frames averaged */
	size_t overlap;        /* samples (48 kHz) compared after alignment */
	const char *reason;    /* on -EINVAL: why, a static string; else NULL */
};

struct vx_quality_ctx;

/**
 * vx_quality_ctx_create() - allocate buffers and the fixed-size FFT plans (STOI's
 * 512-point and LSD's 960-point transforms, FFTW_ESTIMATE: deterministic, fast).
 * @out: set to the new context on success.
 *
 * Context: not real-time (allocates, plans); one thread at a time (FFTW planner).
 * Return: 0 or -ENOMEM.
 */
int vx_quality_ctx_create(struct vx_quality_ctx **out) __attribute__((warn_unused_result));

/** vx_quality_ctx_destroy() - free a context; NULL is accepted. */
void vx_quality_ctx_destroy(struct vx_quality_ctx *q);

/**
 * vx_quality_ctx_compare() - align DEG to REF, then score it: STOI and LSD.
 * @q:    from vx_quality_ctx_create().
 * @ref:  reference, @nref samples, 48 kHz mono.
 * @nref: its length.
 * @deg:  degraded signal, @ndeg samples, 48 kHz mono.
 * @ndeg: its length.
 * @out:  the scores; on -EINVAL, out->reason says why.
 *
 * Context: not real-time (allocates about 24 bytes per input sample, plans an FFT);
 * one thread at a time (FFTW planner).
 * Return: 0; -EINVAL if an input is empty or shorter than VX_QUALITY_MIN_SAMPLES,
 * the reference is silent, or fewer than VX_QUALITY_STOI_N frames of speech
 * overlap after alignment; -ENOMEM.
 */
int vx_quality_ctx_compare(struct vx_quality_ctx *q, const int16_t *ref, size_t nref,
			   const int16_t *deg, size_t ndeg, struct vx_quality *out)
	__attribute__((warn_unused_result));

/**
 * vx_quality_compare() - vx_quality_ctx_compare() with a context of its own.
 * @ref:  reference, 48 kHz mono.
 * @nref: its length in samples.
 * @deg:  degraded signal, 48 kHz mono.
 * @ndeg: its length in samples.
 * @out:  the scores; on -EINVAL, out->reason says why.
 *
 * Context: not real-time; one thread at a time (FFTW planner).
 * Return: as vx_quality_ctx_compare().
 */
int vx_quality_compare(const int16_t *ref, size_t nref, const int16_t *deg, size_t ndeg,
		       struct vx_quality *out) __attribute__((warn_unused_result));

#endif
