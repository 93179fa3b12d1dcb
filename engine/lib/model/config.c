/* config.c — the architecture from __metadata__, and its cost figures.
 *
 * Numbers are parsed by hand: strtod follows the process locale, and a host
 * application may have set one with a decimal comma.
 */
#include "model.h"
#include "error.h"

#include <math.h>
#include <string.h>

static bool
parse_int (const char *s, int64_t *out)
{
  int64_t v = 0;
  if (!*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 100000000)
      return false;
    v = v * 10 + (*s - '0');
  }
  *out = v;
  return true;
}

/* Decimal float: [-]digits[.digits][e[+-]digits], at most 19 significant
 * digits. Exact powers of ten keep the result correctly rounded for the
 * short values a model file carries ("0.15", "1e-05"). */
static bool
parse_float (const char *s, double *out)
{
  bool negative = *s == '-';
  if (negative)
    s++;
  uint64_t mantissa = 0;
  int digits = 0, scale = 0;
  bool any = false;
  for (; *s >= '0' && *s <= '9'; s++, any = true) {
    if (digits < 19) {
      mantissa = mantissa * 10 + (uint64_t) (*s - '0');
      digits += mantissa != 0;
    } else {
      scale++;
    }
  }
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9'; s++, any = true) {
      if (digits < 19) {
        mantissa = mantissa * 10 + (uint64_t) (*s - '0');
        digits += mantissa != 0;
        scale--;
      }
    }
  }
  if (!any)
    return false;
  if (*s == 'e' || *s == 'E') {
    s++;
    bool exp_negative = *s == '-';
    if (*s == '+' || *s == '-')
      s++;
    int exp = 0;
    if (*s < '0' || *s > '9')
      return false;
    for (; *s >= '0' && *s <= '9'; s++)
      if (exp < 1000)
        exp = exp * 10 + (*s - '0');
    scale += exp_negative ? -exp : exp;
  }
  if (*s)
    return false;
  double v = (double) mantissa;
  if (scale < -300 || scale > 300)
    return false;
  v = scale < 0 ? v / pow (10.0, -scale) : v * pow (10.0, scale);
  *out = negative ? -v : v;
  return true;
}

#define METADATA_ERROR(...) \
  esdnet_error_set (error, ESDNET_ERROR_MODEL_METADATA, __VA_ARGS__)

static esdnet_status
get_value (const st_file *f, const char *key, const char **value,
    esdnet_error *error)
{
  *value = st_file_metadata (f, key);
  if (!*value)
    return METADATA_ERROR ("metadata key '%s' is missing", key);
  return ESDNET_OK;
}

static esdnet_status
get_int (const st_file *f, const char *key, int64_t lo, int64_t hi,
    int32_t *out, esdnet_error *error)
{
  const char *v;
  int64_t x;
  esdnet_status status = get_value (f, key, &v, error);
  if (status != ESDNET_OK)
    return status;
  if (!parse_int (v, &x) || x < lo || x > hi)
    return METADATA_ERROR ("metadata '%s' = '%.32s' is not an integer in "
        "%lld..%lld", key, v, (long long) lo, (long long) hi);
  *out = (int32_t) x;
  return ESDNET_OK;
}

/* lo is exclusive when open_lo is set (tau, thresholds and eps must be > 0). */
static esdnet_status
get_float (const st_file *f, const char *key, double lo, bool open_lo,
    double hi, float *out, esdnet_error *error)
{
  const char *v;
  double x;
  esdnet_status status = get_value (f, key, &v, error);
  if (status != ESDNET_OK)
    return status;
  /* The open bound applies to the float the engine computes with: a tiny
   * positive value such as "1e-50" rounds to 0. */
  if (!parse_float (v, &x) || !isfinite (x) || x < lo || x > hi
      || (open_lo && (float) x <= lo))
    return METADATA_ERROR ("metadata '%s' = '%.32s' is not a number in "
        "%s%g, %g]", key, v, open_lo ? "(" : "[", lo, hi);
  *out = (float) x;
  return ESDNET_OK;
}

static esdnet_status
get_blocks (const st_file *f, const char *key, int32_t out[3],
    esdnet_error *error)
{
  const char *v;
  esdnet_status status = get_value (f, key, &v, error);
  if (status != ESDNET_OK)
    return status;
  const char *p = v;
  for (int i = 0; i < 3; i++) {
    char part[16];
    size_t n = strcspn (p, ",");
    int64_t x;
    bool last = i == 2;
    if (n >= sizeof part || (last ? p[n] != '\0' : p[n] != ','))
      goto bad;
    memcpy (part, p, n);
    part[n] = '\0';
    if (!parse_int (part, &x) || x > 64)
      goto bad;
    out[i] = (int32_t) x;
    p += n + 1;
  }
  return ESDNET_OK;
bad:
  return METADATA_ERROR ("metadata '%s' = '%.32s' is not three block counts "
      "0..64 like \"4,4,6\"", key, v);
}

esdnet_status
esdnet_config_from_metadata (const st_file *f, esdnet_config *c,
    esdnet_error *error)
{
  const char *format = st_file_metadata (f, "format");
  const char *version = st_file_metadata (f, "format_version");
  if (!format || strcmp (format, "esdnet") != 0)
    return METADATA_ERROR ("metadata 'format' is %s%.32s%s, not \"esdnet\"",
        format ? "\"" : "", format ? format : "missing", format ? "\"" : "");
  if (!version || strcmp (version, "1") != 0)
    return METADATA_ERROR ("metadata 'format_version' is %s%.32s%s; this "
        "engine reads version \"1\"", version ? "\"" : "",
        version ? version : "missing", version ? "\"" : "");

  memset (c, 0, sizeof *c);
  if (get_int (f, "dim", 1, 1024, &c->dim, error)
      || get_blocks (f, "enc_blocks", c->enc_blocks, error)
      || get_blocks (f, "dec_blocks", c->dec_blocks, error)
      || get_int (f, "timesteps", 1, 64, &c->timesteps, error)
      || get_float (f, "tau", 1.0, false, 1e6, &c->tau, error)
      || get_float (f, "v_threshold", 0.0, true, 1e6, &c->v_threshold, error)
      || get_int (f, "reduction_t", 1, 4096, &c->reduction_t, error)
      || get_int (f, "reduction_c", 1, 4096, &c->reduction_c, error)
      || get_int (f, "refine_reduction", 1, 4096, &c->refine_reduction, error)
      || get_float (f, "bn_eps", 0.0, true, 1.0, &c->bn_eps, error))
    return ESDNET_ERROR_MODEL_METADATA;
  return ESDNET_OK;
}

double
esdnet_config_dense_macs_per_pixel (const esdnet_config *c, int32_t repeats)
{
  const double d = c->dim, r = repeats;
  const double l1 = 1.0, l2 = 0.25, l3 = 1.0 / 16;
  /* An SRB: three 3x3 convs c->c per repeat, plus the spatial-attention
   * conv on two maps, once per pixel. */
#define SRB(ch) (27.0 * (ch) * (ch) * r + 18.0)
  double macs = 27.0 * d * r;                               /* patch_embed */
  macs += c->enc_blocks[0] * SRB (d) * l1;
  macs += 9.0 * d * 2 * d * r * l2;                         /* down1_2 */
  macs += c->enc_blocks[1] * SRB (2 * d) * l2;
  macs += 9.0 * 2 * d * 4 * d * r * l3;                     /* down2_3 */
  macs += c->enc_blocks[2] * SRB (4 * d) * l3;
  macs += c->dec_blocks[2] * SRB (4 * d) * l3;
  macs += 9.0 * 4 * d * 2 * d * r * l2;                     /* up3_2 */
  macs += 4.0 * d * 2 * d * r * l2;                         /* reduce (1x1) */
  macs += c->dec_blocks[1] * SRB (2 * d) * l2;
  macs += 9.0 * 2 * d * d * r * l1;                         /* up2_1 */
  macs += c->dec_blocks[0] * SRB (2 * d) * l1;
#undef SRB
  const double cr = 2 * d, hr = (int32_t) (2 * c->dim) / c->refine_reduction;
  macs += 9.0 * cr * cr + 9.0 * cr * hr * 2;                /* refinement.sa */
  macs += 9.0 * cr * 3;                                     /* output */
  return macs;
}
