/*
 * parasail_bench: the C-library side of bench/align/run.sh.
 *
 * Usage: parasail_bench [32|16|sat|score16] < pairs.tsv
 *
 * Reads pairs as TSV on stdin (query_seq <TAB> ref_seq, one pair a line), aligns every pair
 * with parasail_nw_trace_striped_W and parasail_sw_trace_striped_W (parasail_blosum62,
 * open 10, extend 1) and counts identities, similarities and gaps on the traceback strings
 * (parasail_result_get_traceback), as PROTEA/FANTASIA do. W is the lane width:
 *   32  (default) the 32-bit functions, as PROTEA calls them;
 *   16  the 16-bit functions; a result that saturated (parasail_result_is_saturated: the score
 *       left the int16 range) is recomputed with the 32-bit function and counted as a fallback,
 *       so the results (and checksum) equal the 32-bit run's;
 *   sat parasail's own *_trace_striped_sat dispatch (8-bit, then wider on saturation);
 *   score16  no traceback: parasail_nw_striped_16 / parasail_sw_striped_16 (a saturated score
 *       recomputed with the 32-bit function), the score-only floor a traceback cannot beat;
 *       the checksum then sums the scores alone.
 * Prints one line:
 *   pairs <N> cells <C> seconds <S> checksum <X> fallbacks <F>
 * where seconds covers alignment + traceback for all pairs (input parsing excluded) and the
 * checksum sums scores and counts so the work cannot be optimised away. Empty sequences are
 * skipped (parasail rejects them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <parasail.h>
#include <parasail/matrices/blosum62.h>

/* A local score is never negative; parasail returns its lane type's minimum (INT32_MIN/2,
 * INT16_MIN, INT8_MIN) for a few tiny pairs with no positive cell, so the checksum counts a
 * negative SW score as 0 to stay comparable across lane widths. */
static long count(parasail_result_t *r, const char *q, int ql, const char *d, int dl, int local)
{
    long score = parasail_result_get_score(r);
    parasail_traceback_t *tb = parasail_result_get_traceback(r, q, ql, d, dl, &parasail_blosum62, '|', ':', '.');
    long len, k, acc = 0;
    if (tb == NULL) return 0;
    len = (long)strlen(tb->comp);
    for (k = 0; k < len; ++k) {
        if (tb->comp[k] == '|') acc += 3;
        else if (tb->comp[k] == ':') acc += 1;
        if (tb->query[k] == '-') acc += 5;
        if (tb->ref[k] == '-') acc += 7;
    }
    parasail_traceback_free(tb);
    if (local && score < 0) score = 0;
    return acc + len + score;
}

typedef parasail_result_t *(*align_fn)(const char *, int, const char *, int, int, int,
                                        const parasail_matrix_t *);

/* Aligns with `fn`; with `wide` set, recomputes a saturated result with `wide` (counted). */
static parasail_result_t *align(align_fn fn, align_fn wide, const char *q, int ql, const char *d,
                                int dl, long *fallbacks)
{
    parasail_result_t *r = fn(q, ql, d, dl, 10, 1, &parasail_blosum62);
    if (wide != NULL && parasail_result_is_saturated(r)) {
        parasail_result_free(r);
        r = wide(q, ql, d, dl, 10, 1, &parasail_blosum62);
        ++*fallbacks;
    }
    return r;
}

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    char **qs = NULL, **ds = NULL;
    long npairs = 0, alloc = 0, i;
    double cells = 0;
    long checksum = 0, fallbacks = 0;
    struct timespec t0, t1;
    const char *width = argc > 1 ? argv[1] : "32";
    align_fn nw_fn, sw_fn, nw_wide = NULL, sw_wide = NULL;
    int traced = 1;
    if (strcmp(width, "32") == 0) {
        nw_fn = parasail_nw_trace_striped_32;
        sw_fn = parasail_sw_trace_striped_32;
    } else if (strcmp(width, "16") == 0) {
        nw_fn = parasail_nw_trace_striped_16;
        sw_fn = parasail_sw_trace_striped_16;
        nw_wide = parasail_nw_trace_striped_32;
        sw_wide = parasail_sw_trace_striped_32;
    } else if (strcmp(width, "sat") == 0) {
        nw_fn = parasail_nw_trace_striped_sat;
        sw_fn = parasail_sw_trace_striped_sat;
    } else if (strcmp(width, "score16") == 0) {
        nw_fn = parasail_nw_striped_16;
        sw_fn = parasail_sw_striped_16;
        nw_wide = parasail_nw_striped_32;
        sw_wide = parasail_sw_striped_32;
        traced = 0;
    } else {
        fprintf(stderr, "usage: parasail_bench [32|16|sat|score16] < pairs.tsv\n");
        return 2;
    }
    while ((n = getline(&line, &cap, stdin)) != -1) {
        char *tab;
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        tab = strchr(line, '\t');
        if (tab == NULL) { fprintf(stderr, "line %ld: expected query_seq<TAB>ref_seq\n", npairs + 1); return 2; }
        *tab = '\0';
        if (npairs == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            qs = realloc(qs, alloc * sizeof *qs);
            ds = realloc(ds, alloc * sizeof *ds);
        }
        qs[npairs] = strdup(line);
        ds[npairs] = strdup(tab + 1);
        ++npairs;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < npairs; ++i) {
        int ql = (int)strlen(qs[i]), dl = (int)strlen(ds[i]);
        parasail_result_t *nw, *sw;
        if (ql == 0 || dl == 0) continue;
        nw = align(nw_fn, nw_wide, qs[i], ql, ds[i], dl, &fallbacks);
        sw = align(sw_fn, sw_wide, qs[i], ql, ds[i], dl, &fallbacks);
        if (traced) {
            checksum += count(nw, qs[i], ql, ds[i], dl, 0) + count(sw, qs[i], ql, ds[i], dl, 1);
        } else {
            long s = parasail_result_get_score(sw);
            checksum += parasail_result_get_score(nw) + (s < 0 ? 0 : s);
        }
        parasail_result_free(nw);
        parasail_result_free(sw);
        cells += (double)ql * dl;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("pairs %ld cells %.0f seconds %.6f checksum %ld fallbacks %ld\n", npairs, cells,
           (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), checksum, fallbacks);
    free(line);
    return 0;
}
