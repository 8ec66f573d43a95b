/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_WAV_H
#define VX_AUDIO_WAV_H

/*
 * WAV files in and out of the pipeline, which works in 48 kHz int16 frames.
 *
 * Reader. Accepts RIFF/WAVE with PCM (8-bit unsigned, 16, 24 and 32-bit signed
 * integer, and any other width up to 32 bits in the next byte-sized container),
 * IEEE float 32/64, and WAVE_FORMAT_EXTENSIBLE with the PCM or IEEE-float
 * subformat; any channel count up to VX_WAV_MAX_CHANNELS; any sample rate from
 * VX_WAV_MIN_RATE to VX_WAV_MAX_RATE. It delivers VX_WAV_RATE int16 frames with one
 * or two channels, interleaved:
 *
 * - Scale. Every sample is first taken to int16 units, exactly: 8-bit u -> (u - 128)
 *   * 256; 16-bit s -> s; 24-bit s -> s / 256; 32-bit s -> s / 65536; float f ->
 *   f * 32768 (NaN -> 0, clamped to [-32768, 32768]). Samples are left-justified in
 *   their container, so a smaller validBitsPerSample changes no scale: the reader
 *   clears the container's low (container - valid) bits, which hold no signal.
 * - Channels, one out: the mean of all input channels (LFE included).
 * - Channels, two out: one input channel is copied to both; two are kept as they
 *   are; more are mixed by speaker position, in WAVE order (channel k is the k-th
 *   speaker set in dwChannelMask, or in the full SPEAKER_* list when the mask is
 *   absent, zero or too short): left = weighted mean of the left-side speakers
 *   (front, back, side, front-of-centre and top left; weight 1) and the centre
 *   ones (front, back and top centre, and channels past the mask; weight 1/2);
 *   right likewise; LFE is dropped. If one side would get no channel, both sides
 *   get the mono mean. So 5.1 gives L = (FL + FC/2 + BL) / 2.5.
 * - Rate. 48 kHz input passes through untouched: the value is rounded to nearest
 *   (ties to even) and saturated, so 16-bit mono and stereo are bit-exact, 8-bit
 *   exact, and 24/32-bit and float are rounded once. Other rates are converted by
 *   speexdsp's resampler at quality VX_WAV_RESAMPLE_QUALITY, in float, after the
 *   downmix; its filter delay is compensated (speex_resampler_skip_zeros) and the
 *   tail flushed, so input frame 0 is output frame 0 and a file of n frames at
 *   rate r gives exactly round(n * 48000 / r) frames.
 *
 * Parsing is strict about the things that would make the samples wrong and lenient
 * about the rest: unknown chunks (LIST, fact, cue, JUNK, bext, ...) are skipped with
 * their pad byte; the RIFF size and byte rate are ignored (writers get them wrong);
 * a data size of 0 or 0xFFFFFFFF means a streamed file, read to its end; a data
 * chunk that claims more bytes than the file holds is read as far as it goes and
 * flagged (vx_wav_reader_is_truncated()); a trailing partial frame is dropped.
 * Audio is the data chunk only, so chunks after it are never read. Rejected, each
 * with an errno and a message naming the file and the problem: empty, directory,
 * not RIFF (RIFX and RF64 named), not WAVE, truncated headers and chunks before the
 * data, fmt chunk smaller than 16 bytes or larger than 65553 (18 + the largest
 * cbSize), a second fmt chunk, data before fmt, no fmt or no data chunk, zero
 * channels, too many channels, zero or out-of-range rate, codecs other than PCM and
 * float (the message names the tag, e.g. "0x0007 (mu-law)"), unknown extensible
 * subformat GUIDs, bit widths a codec cannot have, validBitsPerSample larger than
 * the container, and a block align that is not channels x container bytes.
 *
 * Writer. 16-bit PCM or 32-bit float, mono or stereo, at any rate in the reader's
 * range. The header on disk is correct after every write call: each call writes its
 * samples, then rewrites the whole header (44 bytes for PCM, 58 for float with its
 * fact chunk) with one pwrite at offset 0, so a process killed by any signal, even
 * SIGKILL, leaves a valid file holding every completed call. A signal handler may
 * also call vx_wav_writer_finalize_signal() (async-signal-safe) to count samples of
 * a call the signal interrupted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_WAV_RATE              48000  /* output rate of the reader, Hz */
#define VX_WAV_MIN_RATE          1000   /* Hz */
#define VX_WAV_MAX_RATE          384000 /* Hz */
#define VX_WAV_MAX_CHANNELS      256
#define VX_WAV_RESAMPLE_QUALITY  5      /* speexdsp 0..10: 5 is its "desktop" setting */
#define VX_WAV_ERR_LEN           256    /* enough for any message plus a long path */

#define VX_WAV_FORMAT_PCM        0x0001 /* WAVE format tags */
#define VX_WAV_FORMAT_FLOAT      0x0003
#define VX_WAV_FORMAT_EXTENSIBLE 0xFFFE

/* What the file's header says, after the extensible subformat is resolved. */
struct vx_wav_info {
	uint32_t rate;         /* the file's sample rate, Hz */
	uint16_t channels;     /* the file's channel count */
	uint16_t format;       /* VX_WAV_FORMAT_PCM or VX_WAV_FORMAT_FLOAT */
	uint16_t bits;         /* container bits per sample: 8, 16, 24, 32 or 64 */
	uint16_t valid_bits;   /* significant bits, <= bits */
	uint32_t channel_mask; /* dwChannelMask, 0 when absent */
	bool extensible;       /* the fmt chunk was WAVE_FORMAT_EXTENSIBLE */
	bool streamed;         /* data size 0 or 0xFFFFFFFF: read to the end of file */
	int64_t frames;        /* whole frames at the file's rate that will be read,
				  after truncation (a pipe: as declared); -1 when
				  unknown (a streamed pipe) */
	int64_t out_frames;    /* frames vx_wav_reader_read() will deliver; -1 if unknown */
};

struct vx_wav_reader;

/**
 * vx_wav_reader_open() - open a WAV file and parse its header.
 * @out:      set to the new reader on success.
 * @path:     file to read (a regular file, or a pipe or FIFO).
 * @channels: output channels, 1 (mono mix) or 2 (stereo), see above.
 * @err:      on failure, a message "PATH: problem" (may be NULL).
 * @errlen:   size of @err; VX_WAV_ERR_LEN is enough.
 *
 * Allocates every buffer and the resampler, so reads allocate nothing.
 *
 * Context: any thread; not real-time (opens, allocates).
 * Return: 0; -EINVAL for a malformed file, -ENOTSUP for a valid but unsupported
 * one (codec, RIFX/RF64), -EISDIR, -ENOMEM, or the negative errno of open/read.
 */
int vx_wav_reader_open(struct vx_wav_reader **out, const char *path, unsigned channels,
		       char *err, size_t errlen) __attribute__((warn_unused_result));

/**
 * vx_wav_reader_open_memory() - parse a WAV file held in memory.
 * @out:      set to the new reader on success.
 * @buf:      the file's bytes; not copied, so they must outlive the reader.
 * @len:      their count.
 * @name:     what messages call the input ("<memory>" if NULL).
 * @channels: output channels, 1 or 2.
 * @err:      on failure, a message "NAME: problem" (may be NULL).
 * @errlen:   size of @err.
 *
 * The same parser as vx_wav_reader_open(); only the byte source differs.
 *
 * Context: any thread; not real-time (allocates).
 * Return: as vx_wav_reader_open().
 */
int vx_wav_reader_open_memory(struct vx_wav_reader **out, const void *buf, size_t len,
			      const char *name, unsigned channels, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/**
 * vx_wav_reader_read() - read up to @frames frames at VX_WAV_RATE.
 * @r:      from vx_wav_reader_open*().
 * @pcm:    room for @frames x channels interleaved int16 samples.
 * @frames: frames wanted.
 *
 * Fills @pcm completely unless the audio ends first.
 *
 * Context: no allocation, no locks; a file reader's only syscall is read(2) on
 * its own file, and a memory reader makes none (real-time safe).
 * Return: frames delivered (0 at the end of the audio), or a negative errno from
 * read(2); an error after some frames is returned by the next call.
 */
ssize_t vx_wav_reader_read(struct vx_wav_reader *r, int16_t *pcm, size_t frames);

/**
 * vx_wav_reader_info() - the file's format and length.
 * @r: reader.
 *
 * Context: any; real-time safe.
 * Return: the header facts, valid until vx_wav_reader_close().
 */
const struct vx_wav_info *vx_wav_reader_info(const struct vx_wav_reader *r);

/**
 * vx_wav_reader_is_truncated() - whether the file ended before its data chunk did.
 * @r: reader.
 *
 * Known at open for memory and regular files, on reaching the end for pipes.
 *
 * Context: any; real-time safe.
 * Return: true if the data chunk's declared size was more than the file held.
 */
bool vx_wav_reader_is_truncated(const struct vx_wav_reader *r);

/**
 * vx_wav_reader_close() - close the file and free the reader.
 * @r: reader, or NULL.
 *
 * Context: not real-time (frees).
 */
void vx_wav_reader_close(struct vx_wav_reader *r);

/**
 * vx_wav_load() - a whole file read into memory: 48 kHz int16, as the reader
 * delivers it. For fixtures, tests and offline tools, not the real-time path.
 * @path:     file.
 * @channels: 1 or 2 out, as vx_wav_reader_open().
 * @pcm:      set to a malloc'd array of *@frames × @channels samples (free it).
 * @frames:   set to the frame count.
 * @err:      message buffer, as vx_wav_reader_open().
 * @errlen:   its size.
 *
 * Context: allocates.
 * Return: 0, or a negative errno as vx_wav_reader_open() and vx_wav_reader_read().
 */
int vx_wav_load(const char *path, unsigned channels, int16_t **pcm, size_t *frames, char *err,
		size_t errlen);

/* ------------------------------------------------------------------------------ */

enum vx_wav_encoding {
	VX_WAV_S16 = 1, /* 16-bit PCM */
	VX_WAV_F32,     /* 32-bit IEEE float, with a fact chunk */
};

struct vx_wav_writer;

/**
 * vx_wav_writer_open() - create (or truncate) a WAV file and write its header.
 * @out:      set to the new writer on success.
 * @path:     file to write; it must support pwrite (a regular file).
 * @rate:     sample rate in Hz, VX_WAV_MIN_RATE..VX_WAV_MAX_RATE.
 * @channels: 1 or 2.
 * @enc:      sample encoding in the file.
 *
 * Context: not real-time (opens, allocates).
 * Return: 0; -EINVAL for bad arguments; -ENOMEM; or the negative errno of
 * open/pwrite (-ENOSPC on a full disk).
 */
int vx_wav_writer_open(struct vx_wav_writer **out, const char *path, uint32_t rate,
		       unsigned channels, enum vx_wav_encoding enc)
	__attribute__((warn_unused_result));

/**
 * vx_wav_writer_write() - append int16 frames, then bring the header up to date.
 * @w:      writer.
 * @pcm:    @frames x channels interleaved samples; float files store s / 32768.
 * @frames: count.
 *
 * Costs one pwrite per 4096 frames plus one 44/58-byte pwrite for the header.
 *
 * Context: no allocation, no locks; syscalls: pwrite(2) on its own file only. File
 * writes can block on the disk, so a real-time thread should hand frames to a
 * writer thread through a ring rather than call this itself.
 * Return: 0; -EFBIG if the file would pass the 4 GiB limit of WAV sizes (nothing
 * written); or the negative errno of pwrite (-ENOSPC when the disk is full: the
 * header then counts only the frames written before this call).
 */
int vx_wav_writer_write(struct vx_wav_writer *w, const int16_t *pcm, size_t frames)
	__attribute__((warn_unused_result));

/**
 * vx_wav_writer_write_float() - as vx_wav_writer_write(), for float frames.
 * @w:      writer.
 * @pcm:    @frames x channels interleaved samples, full scale +-1.0; 16-bit files
 *          store round(x * 32768), saturated; float files store x as is.
 * @frames: count.
 *
 * Context: as vx_wav_writer_write().
 * Return: as vx_wav_writer_write().
 */
int vx_wav_writer_write_float(struct vx_wav_writer *w, const float *pcm, size_t frames)
	__attribute__((warn_unused_result));

/**
 * vx_wav_writer_frames() - frames written so far.
 * @w: writer.
 *
 * Context: writer's thread; real-time safe.
 * Return: the count the header holds.
 */
uint64_t vx_wav_writer_frames(const struct vx_wav_writer *w);

/**
 * vx_wav_writer_finalize_signal() - make the header count every whole frame the
 * file holds, from a signal handler.
 * @w: writer (the handler reaches it through a global).
 *
 * The header is already right after each completed write; this also counts the
 * frames of a write the signal interrupted. It takes the size from fstat(2) and
 * rewrites the header with pwrite(2), both async-signal-safe, touches only fields
 * that do not change after open, and preserves errno. The writer stays usable, but
 * the usual handler ends the process (re-raise the signal with its default action).
 *
 * Context: async-signal-safe.
 */
void vx_wav_writer_finalize_signal(const struct vx_wav_writer *w);

/**
 * vx_wav_writer_close() - flush the file to disk, close it and free the writer.
 * @w: writer, or NULL.
 *
 * The header is already current; close adds fsync(2), whose error is the last
 * chance to hear of a failed write-back (NFS, thin provisioning).
 *
 * Context: not real-time (fsync, frees).
 * Return: 0, or the negative errno of fsync/close; the writer is freed either way.
 */
int vx_wav_writer_close(struct vx_wav_writer *w);

#endif
