// SPDX-License-Identifier: MIT
/* Key files: see keys.h for the format. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "transport/keys.h"

void vx_keys_encode(const uint8_t *key, char *out)
{
	sodium_bin2base64(out, VX_KEYS_B64_CHARS + 1, key, VX_NOISE_DH_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int vx_keys_decode(uint8_t *key, const char *s, size_t len)
{
	uint8_t bin[64];
	const char *end;
	size_t n;

	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	/* Decode into room for a longer key, so that "too long" is told apart from
	 * "not base64". */
	if (len > 4 * sizeof(bin) / 3)
		return -EMSGSIZE;
	if (sodium_base642bin(bin, sizeof(bin), s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len) {
		sodium_memzero(bin, sizeof(bin));
		return -EINVAL;
	}
	if (n != VX_NOISE_DH_BYTES) {
		sodium_memzero(bin, sizeof(bin));
		return -EMSGSIZE;
	}
	memcpy(key, bin, VX_NOISE_DH_BYTES);
	sodium_memzero(bin, sizeof(bin));
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int vx_keys_write(const char *path, const struct vx_noise_keypair *kp)
{
	char text[sizeof(VX_KEYS_HEADER) + VX_KEYS_B64_CHARS + 2];
	int fd, ret;

	if (sodium_init() < 0)
		return -EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* The umask can only remove bits; make sure of 0600 exactly. */
	if (fchmod(fd, 0600) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	memcpy(text, VX_KEYS_HEADER "\n", sizeof(VX_KEYS_HEADER));
	vx_keys_encode(kp->priv, text + sizeof(VX_KEYS_HEADER));
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	ret = write_all(fd, text, sizeof(text) - 1);
	sodium_memzero(text, sizeof(text));
	if (ret < 0)
		goto err_unlink;
	if (fsync(fd) < 0 || close(fd) < 0) {
		ret = -errno;
		unlink(path);
		return ret;
	}
	return 0;

err_unlink:
	close(fd);
	unlink(path);
	return ret;
}

int vx_keys_read(const char *path, struct vx_noise_keypair *kp, unsigned *loose_mode)
{
	char text[VX_KEYS_MAX_FILE + 1];
	uint8_t priv[VX_NOISE_KEY_BYTES];
	struct stat st;
	size_t len = 0, hl = sizeof(VX_KEYS_HEADER) - 1;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (loose_mode)
		*loose_mode = (unsigned)(st.st_mode & 077) ? (unsigned)(st.st_mode & 0777) : 0;
	for (;;) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			close(fd);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(text)) {
			close(fd);
			ret = -EMSGSIZE;
			goto out;
		}
	}
	close(fd);

	if (len < hl || memcmp(text, VX_KEYS_HEADER, hl) != 0 ||
	    (len > hl && text[hl] != '\n' && text[hl] != '\r')) {
		ret = -ENOTSUP;
		goto out;
	}
	ret = vx_keys_decode(priv, text + hl, len - hl);
	if (ret < 0)
		goto out;
	ret = vx_noise_keypair_from_private(kp, priv);
out:
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(text, sizeof(text));
	return ret;
}

const char *vx_keys_strerror(int err)
{
	switch (err) {
	case -ENOTSUP:
		return "not a vox private key file (no '" VX_KEYS_HEADER "' first line)";
	case -EINVAL:
		return "the key line is not base64";
	case -EMSGSIZE:
		return "wrong key length (an X25519 key is 32 bytes, 44 base64 characters)";
	default:
		return strerror(-err);
	}
}
