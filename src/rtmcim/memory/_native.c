/* rtmcim.memory._native: the inner loops of a trace replay, in C.
 *
 * parse_chunk   reads a chunk of ordinary trace lines (the fast path of
 *               rtmcim.memory.trace_parse); anything it does not vouch for sends
 *               the chunk to the Python line parser (rtmcim.memory.trace_lines),
 *               which is the reference reading and raises the errors.
 * frfcfs        takes every FR-FCFS decision (rtmcim.memory.frfcfs): the same
 *               rules, in the same order, as the Python reference
 *               take_decisions, which the tests compare it against.
 * static_steps  counts the shifts of static ports with lazy update in order
 *               (rtmcim.memory.track; the reference is Track).
 *
 * Arrays come in through the buffer protocol (numpy arrays, bytearrays, memory
 * maps), so the build needs Python's headers only. Compiled at `pip install`
 * (setup.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parsing */

enum { PLAIN = 0, SPACE = 1, NEWLINE = 2, OTHER = 3 };
enum { KIND_NONE = 0, KIND_SIMPLE = 1, KIND_NVMAIN = 2 };

#define DATA_HEX_DIGITS 128  /* NVMain's 64-byte data field */
#define MAX_DEC_DIGITS 18    /* below 2^63 */
#define MAX_HEX_DIGITS 15
#define MAX_TOKENS 6

static unsigned char byte_class[2][256]; /* [rtsim][byte] */
static signed char dec_val[256], hex_val[256];

static void init_tables(void) {
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < 256; c++)
            byte_class[r][c] = (c >= 33 && c <= 126) ? PLAIN : OTHER;
        byte_class[r][' '] = SPACE;
        byte_class[r]['\n'] = NEWLINE;
    }
    byte_class[0]['#'] = OTHER; /* rtmcim's rules: a comment goes to the line parser */
    for (int c = 0; c < 256; c++) dec_val[c] = hex_val[c] = -1;
    for (int c = '0'; c <= '9'; c++) dec_val[c] = hex_val[c] = (signed char)(c - '0');
    for (int c = 'a'; c <= 'f'; c++) hex_val[c] = (signed char)(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; c++) hex_val[c] = (signed char)(c - 'A' + 10);
}

/* value of digits [p, p + len) in base 10 or 16; -1 if a byte is not a digit */
static inline int64_t digits(const unsigned char *p, Py_ssize_t len, int hex) {
    const signed char *val = hex ? hex_val : dec_val;
    int64_t v = 0;
    int shift = hex ? 4 : 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        int d = val[p[i]];
        if (d < 0) return -1;
        v = hex ? (v << shift) | d : v * 10 + d;
    }
    return v;
}

/* every byte of a 128-byte field printable, not a space (nor '#' if hash_bad): the
 * usual data field, checked 16 or 32 bytes at a time (the loop vectorises) */
static inline int plain_data(const unsigned char *p, int hash_bad) {
    unsigned char bad = 0;
    const unsigned char hash = hash_bad ? '#' : 0;
    for (int i = 0; i < DATA_HEX_DIGITS; i++)
        bad |= ((unsigned char)(p[i] - 33u) > 93u) | (p[i] == hash);
    return !bad;
}

/* The usual NVMain line, "CYCLE OP ADDRESS DATA THREAD\n" with DATA of 128 characters,
 * read in one pass that decodes the fields as it scans them. Returns the byte after the
 * line's newline, or NULL for any other line (the general reading below then decides); a
 * line it takes, the general reading takes with the same values. The chunk ends with a
 * newline, which stops every scan. */
static inline const unsigned char *usual_line(const unsigned char *p, const unsigned char *end,
                                              int rtsim, const unsigned char *cls,
                                              uint64_t *c_out, uint64_t *a_out, uint8_t *w_out) {
    const unsigned char *q = p;
    uint64_t c = 0, a = 0;
    while (dec_val[*q] >= 0) c = c * 10 + (uint64_t)dec_val[*q++];
    if (q == p || q - p > MAX_DEC_DIGITS || *q != ' ') return NULL;
    unsigned char op = q[1]; /* not past the end: q is a space, the chunk ends in '\n' */
    if (!rtsim) op &= (unsigned char)~32u;
    if ((op != 'R' && op != 'W') || q[2] != ' ') return NULL;
    q += 3;
    int hex = rtsim;
    if (q[0] == '0' && (q[1] | 32) == 'x' && hex_val[q[2]] >= 0) q += 2, hex = 1;
    const unsigned char *s = q;
    if (hex)
        while (hex_val[*q] >= 0) a = (a << 4) | (uint64_t)hex_val[*q++];
    else
        while (dec_val[*q] >= 0) a = a * 10 + (uint64_t)dec_val[*q++];
    if (q == s || q - s > (hex ? MAX_HEX_DIGITS : MAX_DEC_DIGITS) || *q != ' ') return NULL;
    q++;
    if (end - q <= DATA_HEX_DIGITS + 1 || !plain_data(q, !rtsim) || q[DATA_HEX_DIGITS] != ' ')
        return NULL;
    q += DATA_HEX_DIGITS + 1;
    s = q;
    while (cls[*q] == PLAIN) q++;
    if (q == s || *q != '\n') return NULL;
    *c_out = c, *a_out = a, *w_out = (op == 'W');
    return q + 1;
}

/* Parse whole lines buf[0:n] (n > 0, buf[n-1] == '\n'). Returns the number of
 * accesses written, or -1 if the chunk must go to the line parser. */
static Py_ssize_t parse_lines(const unsigned char *buf, Py_ssize_t n, int rtsim, int version,
                              int *kind, int64_t *last_cycle, uint8_t *is_w, int64_t *addr,
                              int64_t *cyc, Py_ssize_t cap) {
    const unsigned char *cls = byte_class[rtsim ? 1 : 0];
    const unsigned char *p = buf, *end = buf + n;
    const unsigned char *tok[MAX_TOKENS];
    Py_ssize_t len[MAX_TOKENS];
    Py_ssize_t k = 0;
    int64_t last = *last_cycle;
    int kd = *kind;
    /* NVMV1's fifth field is OLDDATA: its lines go the general way */
    const int usual = !(rtsim && version == 1);
    while (p < end) {
        if (usual && kd != KIND_SIMPLE && k < cap) {
            uint64_t uc, ua;
            uint8_t uw;
            const unsigned char *q = usual_line(p, end, rtsim, cls, &uc, &ua, &uw);
            if (q != NULL) {
                if (rtsim) {
                    if (uc >= ((uint64_t)1 << 32) || (int64_t)uc < last) return -1;
                    last = (int64_t)uc;
                }
                kd = KIND_NVMAIN;
                is_w[k] = uw;
                addr[k] = (int64_t)ua;
                cyc[k] = (int64_t)uc;
                k++;
                p = q;
                continue;
            }
        }
        int nt = 0;
        for (;;) { /* one token, then its separator */
            if (nt == MAX_TOKENS) return -1;
            const unsigned char *s = p;
            if (nt == 3 && end - p > DATA_HEX_DIGITS && plain_data(p, !rtsim))
                p += DATA_HEX_DIGITS;
            while (cls[*p] == PLAIN) p++; /* ends at the '\n' that closes the chunk */
            if (p == s) return -1;        /* an empty token */
            tok[nt] = s;
            len[nt++] = p - s;
            if (cls[*p] == SPACE) {
                p++;
                continue;
            }
            if (cls[*p] != NEWLINE) return -1;
            p++;
            break;
        }
        if (k >= cap) return -1;
        int this;
        int o, a;
        if (nt == 2 && !rtsim) {
            this = KIND_SIMPLE, o = 0, a = 1;
        } else if (nt >= 4) {
            this = KIND_NVMAIN, o = 1, a = 2;
        } else {
            return -1;
        }
        if (kd != KIND_NONE && kd != this) return -1;
        kd = this;
        if (len[o] != 1) return -1;
        unsigned char op = tok[o][0];
        if (!rtsim) op &= (unsigned char)~32u; /* r, w */
        if (op != 'R' && op != 'W') return -1;
        int64_t c = 0;
        if (this == KIND_NVMAIN) {
            if (len[0] > MAX_DEC_DIGITS) return -1;
            c = digits(tok[0], len[0], 0);
            if (c < 0) return -1;
            if (rtsim) {
                if (c >= ((int64_t)1 << 32) || c < last) return -1;
                last = c;
                if (len[3] != DATA_HEX_DIGITS) return -1;
                if (version == 1 && nt >= 5 && len[4] != DATA_HEX_DIGITS) return -1;
            }
        }
        const unsigned char *ap = tok[a];
        Py_ssize_t al = len[a];
        int hex = rtsim;
        if (al > 2 && ap[0] == '0' && (ap[1] | 32) == 'x') ap += 2, al -= 2, hex = 1;
        if (al > (hex ? MAX_HEX_DIGITS : MAX_DEC_DIGITS)) return -1;
        int64_t v = digits(ap, al, hex);
        if (v < 0) return -1;
        is_w[k] = op == 'W';
        addr[k] = v;
        cyc[k] = c;
        k++;
    }
    *kind = kd;
    *last_cycle = last;
    return k;
}

static int get_out(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected", what, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *py_parse_chunk(PyObject *self, PyObject *args) {
    Py_buffer in, ow, oa, oc;
    Py_ssize_t start, end;
    int rtsim, version, kind;
    long long last;
    PyObject *w_obj, *a_obj, *c_obj;
    if (!PyArg_ParseTuple(args, "y*nnpiiLOOO", &in, &start, &end, &rtsim, &version, &kind,
                          &last, &w_obj, &a_obj, &c_obj))
        return NULL;
    PyObject *res = NULL;
    if (start < 0 || end <= start || end > in.len ||
        ((const unsigned char *)in.buf)[end - 1] != '\n') {
        PyErr_SetString(PyExc_ValueError, "parse_chunk needs whole lines");
        PyBuffer_Release(&in);
        return NULL;
    }
    if (get_out(w_obj, &ow, 1, "is_write") < 0) goto release_in;
    if (get_out(a_obj, &oa, 8, "address") < 0) goto release_w;
    if (get_out(c_obj, &oc, 8, "cycle") < 0) goto release_a;
    Py_ssize_t cap = ow.len;
    if (oa.len / 8 < cap) cap = oa.len / 8;
    if (oc.len / 8 < cap) cap = oc.len / 8;
    int64_t lc = last;
    Py_ssize_t got;
    Py_BEGIN_ALLOW_THREADS;
    got = parse_lines((const unsigned char *)in.buf + start, end - start, rtsim, version, &kind,
                      &lc, ow.buf, oa.buf, oc.buf, cap);
    Py_END_ALLOW_THREADS;
    if (got < 0)
        res = Py_NewRef(Py_None);
    else
        res = Py_BuildValue("niL", got, kind, (long long)lc);
    PyBuffer_Release(&oc);
release_a:
    PyBuffer_Release(&oa);
release_w:
    PyBuffer_Release(&ow);
release_in:
    PyBuffer_Release(&in);
    return res;
}

/* ---------------------------------------------------------------- FR-FCFS */

typedef struct {
    Py_buffer b;
    int held;
} Buf;

static int take(PyObject *obj, Buf *x, Py_ssize_t itemsize, Py_ssize_t n, int writable,
                const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &x->b, flags) < 0) return -1;
    x->held = 1;
    if (x->b.itemsize != itemsize || x->b.len < n * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items of %zd bytes expected", what, n, itemsize);
        return -1;
    }
    return 0;
}

static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* frfcfs(rows, n_rows, per_mu, row_domains, writes, cyc, order, steps, shift_mode, units,
 *        domain, segment, n_mus, shift, queue_depth, threshold, timing)
 *     -> (hits, activations, done)
 * rows: each access's row, in 0..n_rows-1; or None: static ports (shift_mode 0 or 1), the
 *       row of access i being units[i] * per_mu + domain[i] / row_domains.
 * shift_mode 0: static ports, lazy (units, domain: MU and domain of each access, its offset
 *               domain % segment); 1: static ports, eager (domain, segment);
 *            2: shift(i) -> steps, a Python callable.
 * timing: (t_rcd, t_ras, t_rp, t_al, t_burst, t_ccd, t_rtp, t_cas, t_rtrs, t_cwd, t_wtr,
 *          t_wr, t_wp, t_sh, t_rrd, t_raw, raw, t_cmd), CommandTiming's fields in order. */
static PyObject *py_frfcfs(PyObject *self, PyObject *args) {
    PyObject *o_rows, *o_writes, *o_cyc, *o_order, *o_steps, *o_units, *o_domain;
    PyObject *shift, *timing;
    int mode;
    Py_ssize_t n_rows, per_mu, row_domains, n_mus, q_depth, thr, seg;
    if (!PyArg_ParseTuple(args, "OnnnOOOOiOOnnOnnO", &o_rows, &n_rows, &per_mu, &row_domains,
                          &o_writes, &o_cyc, &o_order, &o_steps, &mode, &o_units, &o_domain, &seg,
                          &n_mus, &shift, &q_depth, &thr, &timing))
        return NULL;
    long long tv[18];
    if (!PyTuple_Check(timing) || PyTuple_GET_SIZE(timing) != 18) {
        PyErr_SetString(PyExc_TypeError, "timing: a tuple of 18 integers expected");
        return NULL;
    }
    for (int i = 0; i < 18; i++) {
        tv[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(timing, i));
        if (tv[i] == -1 && PyErr_Occurred()) return NULL;
    }
    const int64_t t_rcd = tv[0], t_ras = tv[1], t_rp_ = tv[2], t_al = tv[3], t_burst = tv[4],
                  t_ccd = tv[5], t_rtp = tv[6], t_cas = tv[7], t_rtrs = tv[8], t_cwd = tv[9],
                  t_wtr = tv[10], t_wr = tv[11], t_wp = tv[12], t_sh = tv[13], t_rrd_ = tv[14],
                  t_raw = tv[15], raw = tv[16], t_cmd = tv[17];
    if (q_depth < 1 || thr < 0 || raw < 1 || mode < 0 || mode > 2 || seg < 1 || n_rows < 0 ||
        (o_rows == Py_None && (mode == 2 || per_mu < 1 || row_domains < 1))) {
        PyErr_SetString(PyExc_ValueError,
                        "frfcfs: queue_depth >= 1, threshold >= 0, raw >= 1, segment >= 1, "
                        "rows given or static ports with per_mu, row_domains >= 1");
        return NULL;
    }
    Buf rows_b = {0}, wr_b = {0}, cyc_b = {0}, ord_b = {0}, st_b = {0};
    Buf un_b = {0}, dm_b = {0};
    PyObject *res = NULL;
    int64_t *arr = NULL, *offset = NULL, *recent = NULL, *nxt = NULL, *last = NULL;
    unsigned char *picked = NULL;
    /* the number of accesses: from rows, or from the domains */
    Buf *sizer = o_rows != Py_None ? &rows_b : &dm_b;
    if (PyObject_GetBuffer(o_rows != Py_None ? o_rows : o_domain, &sizer->b,
                           PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    sizer->held = 1;
    const Py_ssize_t n = sizer->b.len / 8;
    if (sizer->b.itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "rows, domain: 8-byte integers expected");
        goto done;
    }
    if (take(o_writes, &wr_b, 1, n, 0, "writes") < 0 ||
        take(o_cyc, &cyc_b, 8, n, 0, "cyc") < 0 || take(o_order, &ord_b, 8, n, 1, "order") < 0 ||
        take(o_steps, &st_b, 8, n, 1, "steps") < 0)
        goto done;
    if (mode != 2 && !dm_b.held && take(o_domain, &dm_b, 8, n, 0, "domain") < 0) goto done;
    if ((mode == 0 || o_rows == Py_None) && take(o_units, &un_b, 8, n, 0, "units") < 0)
        goto done;
    if (mode == 2 && !PyCallable_Check(shift)) {
        PyErr_SetString(PyExc_TypeError, "shift must be callable");
        goto done;
    }
    const int64_t *rows = rows_b.held ? rows_b.b.buf : NULL, *cyc = cyc_b.b.buf;
    const uint8_t *writes = wr_b.b.buf;
    int64_t *order = ord_b.b.buf, *steps = st_b.b.buf;
    const int64_t *units = un_b.held ? un_b.b.buf : NULL;
    const int64_t *domain = mode != 2 ? dm_b.b.buf : NULL;
    arr = calloc((size_t)n + 1, sizeof *arr);
    nxt = malloc(((size_t)n + 1) * sizeof *nxt);
    last = malloc(((size_t)n_rows + 1) * sizeof *last);
    picked = calloc((size_t)n + 1, 1);
    offset = calloc((size_t)(n_mus > 0 ? n_mus : 1), sizeof *offset);
    recent = calloc((size_t)raw, sizeof *recent);
    if (!arr || !picked || !offset || !recent || !nxt || !last) {
        PyErr_NoMemory();
        goto done;
    }
    /* the row of access i: given, or its MU's rows of row_domains domains (no array of them:
     * fresh memory costs more than the arithmetic) */
    int rd_shift = -1;
    if ((row_domains & (row_domains - 1)) == 0)
        for (rd_shift = 0; ((Py_ssize_t)1 << rd_shift) < row_domains; rd_shift++) {
        }
#define ROW(i)                                                                                    \
    (rows ? rows[i]                                                                               \
          : units[i] * per_mu + (rd_shift >= 0 ? domain[i] >> rd_shift : domain[i] / row_domains))
    if (mode != 2)
        for (Py_ssize_t i = 0; i < n; i++)
            if (domain[i] < 0) {
                PyErr_SetString(PyExc_ValueError, "frfcfs: a negative domain");
                goto done;
            }
    /* nxt[i]: the next access after i to the same row (n if none) */
    for (Py_ssize_t r = 0; r < n_rows; r++) last[r] = n;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        int64_t r = ROW(i);
        if (r < 0 || r >= n_rows) {
            PyErr_SetString(PyExc_ValueError, "frfcfs: a row outside 0..n_rows-1");
            goto done;
        }
        nxt[i] = last[r];
        last[r] = i;
    }
    if (mode == 0)
        for (Py_ssize_t i = 0; i < n; i++)
            if (units[i] < 0 || units[i] >= n_mus) {
                PyErr_SetString(PyExc_ValueError, "frfcfs: a unit outside 0..n_mus-1");
                goto done;
            }
    /* arrivals before any queue slot frees: the running maximum of the first cycles */
    for (Py_ssize_t i = 0; i < n && i < q_depth; i++)
        arr[i] = i ? max64(arr[i - 1], cyc[i]) : cyc[i];

    const int64_t t_rp = t_rp_, t_rrd = t_rrd_ + t_sh;
    const int64_t act_pre = max64(t_rcd, t_ras), act_req = t_rcd - t_al;
    const int64_t rd_pre = t_al + t_burst + t_rtp - t_ccd, rd_rd = max64(t_burst, t_ccd);
    const int64_t rd_wr = t_cas + t_burst + t_rtrs - t_cwd;
    const int64_t wr_pre = t_al + t_cwd + t_burst + t_wp + t_wr;
    const int64_t wr_rd = t_cwd + t_burst + t_wtr + t_wp, wr_wr = max64(t_burst, t_ccd) + t_wp;

    Py_ssize_t first = 0, entered = 0, hit_next = n, ri = 0; /* ri: oldest of recent[] */
    int64_t open_row = -1, served = 0, hits = 0, acts = 0, done_c = -1;
    int64_t n_pre = 0, n_act = 0, n_rd = 0, n_wr = 0, n_act_rank = t_cmd, prev_steps = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        while (picked[first]) first++;
        int64_t t = arr[first] + 1; /* a request can be taken the cycle after it arrives */
        if (done_c + 1 > t) t = done_c + 1;
        Py_ssize_t hi = k + q_depth < n ? k + q_depth : n;
        while (entered < hi && arr[entered] < t) entered++;
        Py_ssize_t pick;
        if (open_row < 0) {
            pick = first;
        } else if (served >= thr) { /* starved: the oldest request to another row goes first */
            pick = first;
            while (pick < entered && (picked[pick] || ROW(pick) == open_row)) pick++;
            if (pick == entered) pick = hit_next;
        } else if (hit_next < entered) {
            pick = hit_next;
        } else {
            pick = first;
        }
        if (pick < 0 || pick >= n || picked[pick]) {
            PyErr_SetString(PyExc_RuntimeError, "frfcfs: no request to take");
            goto done;
        }
        picked[pick] = 1;
        order[k] = pick;
        Py_ssize_t j = k + q_depth;
        if (j < n) { /* the freed queue slot takes the next trace line this cycle */
            int64_t a = cyc[j];
            if (arr[j - 1] > a) a = arr[j - 1];
            arr[j] = a > t ? a : t;
        }
        int64_t c = t;
        const int64_t row = ROW(pick);
        if (row == open_row) {
            hits++;
            served++;
        } else {
            acts++;
            served = 0;
            if (open_row >= 0) { /* PRECHARGE */
                c = max64(n_pre, c);
                n_act = max64(c + t_rp, n_act);
                c += 1;
            }
            c = max64(n_act, c); /* ACTIVATE */
            c = max64(n_act_rank, c);
            c = max64(recent[ri] + t_raw, c);
            recent[ri] = c; /* the oldest of the last RAW activations leaves */
            ri = ri + 1 == raw ? 0 : ri + 1;
            n_act_rank = max64(c + t_rrd, n_act_rank);
            n_pre = max64(c + act_pre, n_pre);
            int64_t ready = c + act_req + t_sh * prev_steps;
            n_rd = max64(ready, n_rd);
            n_wr = max64(ready, n_wr);
            open_row = row;
            c += 1; /* SHIFT */
        }
        hit_next = nxt[pick];
        if (mode == 0) {
            int64_t u = units[pick], g = domain[pick] % seg;
            prev_steps = offset[u] > g ? offset[u] - g : g - offset[u];
            offset[u] = g;
        } else if (mode == 1) {
            prev_steps = 2 * (domain[pick] % seg); /* out to the domain and home again */
        } else {
            PyObject *r = PyObject_CallFunction(shift, "n", pick);
            if (r == NULL) goto done;
            prev_steps = PyLong_AsLongLong(r);
            Py_DECREF(r);
            if (prev_steps == -1 && PyErr_Occurred()) goto done;
        }
        steps[k] = prev_steps;
        c += 1; /* READ or WRITE */
        if (writes[pick]) {
            c = max64(n_wr, c);
            n_pre = max64(c + wr_pre, n_pre);
            n_rd = max64(c + wr_rd, n_rd);
            n_wr = max64(c + wr_wr, n_wr);
        } else {
            c = max64(n_rd, c);
            n_pre = max64(c + rd_pre, n_pre);
            n_rd = max64(c + rd_rd, n_rd);
            n_wr = max64(c + rd_wr, n_wr);
        }
        done_c = c;
    }
    res = Py_BuildValue("LLL", (long long)hits, (long long)acts, (long long)done_c);
#undef ROW
done:
    free(arr);
    free(picked);
    free(offset);
    free(recent);
    free(nxt);
    free(last);
    Buf *all[] = {&rows_b, &wr_b, &cyc_b, &ord_b, &st_b, &un_b, &dm_b};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->held) PyBuffer_Release(&all[i]->b);
    return res;
}

/* ------------------------------------------------------- in-order shifts */

/* static_steps(unit, domain, segment, offsets, steps): static ports, lazy update, in order:
 * each access shifts its unit from where the last one left it to offset domain % segment. */
static PyObject *py_static_steps(PyObject *self, PyObject *args) {
    PyObject *o_unit, *o_target, *o_offsets, *o_steps;
    Py_ssize_t seg;
    if (!PyArg_ParseTuple(args, "OOnOO", &o_unit, &o_target, &seg, &o_offsets, &o_steps))
        return NULL;
    if (seg < 1) {
        PyErr_SetString(PyExc_ValueError, "segment must be >= 1");
        return NULL;
    }
    Buf un = {0}, tg = {0}, off = {0}, st = {0};
    PyObject *res = NULL;
    if (PyObject_GetBuffer(o_unit, &un.b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    un.held = 1;
    const Py_ssize_t n = un.b.len / 8;
    if (un.b.itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "unit: 8-byte integers expected");
        goto done;
    }
    if (take(o_target, &tg, 8, n, 0, "domain") < 0 || take(o_steps, &st, 8, n, 1, "steps") < 0)
        goto done;
    if (PyObject_GetBuffer(o_offsets, &off.b, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) goto done;
    off.held = 1;
    if (off.b.itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "offsets: 8-byte integers expected");
        goto done;
    }
    const int64_t *unit = un.b.buf, *target = tg.b.buf;
    int64_t *offset = off.b.buf, *steps = st.b.buf;
    const int64_t mus = off.b.len / 8;
    for (Py_ssize_t i = 0; i < n; i++)
        if (unit[i] < 0 || unit[i] >= mus || target[i] < 0) {
            PyErr_Format(PyExc_ValueError, "unit index %lld outside the %lld offsets given, "
                         "or domain %lld negative", (long long)unit[i], (long long)mus,
                         (long long)target[i]);
            goto done;
        }
    const int pow2 = (seg & (seg - 1)) == 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t u = unit[i], o = offset[u];
        int64_t g = pow2 ? target[i] & (seg - 1) : target[i] % seg;
        steps[i] = o > g ? o - g : g - o;
        offset[u] = g;
    }
    res = Py_NewRef(Py_None);
done:;
    Buf *all[] = {&un, &tg, &off, &st};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->held) PyBuffer_Release(&all[i]->b);
    return res;
}

static PyMethodDef methods[] = {
    {"static_steps", py_static_steps, METH_VARARGS,
     "static_steps(unit, domain, segment, offsets, steps)\nStatic ports, lazy update, in\n"
     "order: the shift steps of each access into steps (offsets: each unit's, updated in\n"
     "place)."},
    {"parse_chunk", py_parse_chunk, METH_VARARGS,
     "parse_chunk(buf, start, end, rtsim, version, kind, last_cycle, is_write, address,\n"
     "cycle)\nWhole trace lines buf[start:end] into the output arrays: (count, kind,\n"
     "last_cycle), or None if the chunk needs the line parser."},
    {"frfcfs", py_frfcfs, METH_VARARGS,
     "frfcfs(rows, n_rows, per_mu, row_domains, writes, cyc, order, steps, shift_mode, units,\n"
     "domain, segment, n_mus, shift, queue_depth, threshold, timing)\n"
     "-> (hits, activations, done): every FR-FCFS decision."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "The inner loops of a trace replay, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    init_tables();
    return PyModule_Create(&module);
}
