/*
 * parasail_driver: reference values for homolog-align's parity tests.
 *
 * Reads pairs as TSV on stdin: query_id <TAB> ref_id <TAB> query_seq <TAB> ref_seq
 * and prints, for parasail_nw_trace_striped_32 and parasail_sw_trace_striped_32
 * (parasail_blosum62, open 10, extend 1), one TSV line per pair:
 *
 *   query_id ref_id lanes
 *   nw_score nw_length nw_identities nw_similarities nw_query_gaps nw_ref_gaps
 *   sw_score sw_length sw_identities sw_similarities sw_query_gaps sw_ref_gaps
 *
 * The statistics are counted on parasail's own traceback strings
 * (parasail_result_get_traceback with match '|', positive ':', other '.'),
 * exactly as FANTASIA/PROTEA count them: length = columns, identities = '|',
 * similarities = '|' + ':', query gaps = '-' in the query row, reference gaps
 * = '-' in the reference row. `lanes` is the striped vector width parasail's
 * dispatcher picked (8 with AVX2), which decides its tie-breaking.
 *
 * parasail rejects empty sequences, so a pair with an empty side is printed
 * with "NA" values; make_fixtures.sh fills those from homolog's documented rule.
 * When no cell of a local alignment scores above zero, sw_trace_striped_32
 * leaves its score at the internal minus-infinity (INT32_MIN/2) and traces an
 * empty alignment; that is printed as score 0 (the Smith-Waterman definition,
 * and what homolog returns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <parasail.h>
#include <parasail/matrices/blosum62.h>

#define OPEN 10
#define EXTEND 1

static int lanes_of(const parasail_result_t *r)
{
    if (r->flag & PARASAIL_FLAG_LANES_1) return 1;
    if (r->flag & PARASAIL_FLAG_LANES_2) return 2;
    if (r->flag & PARASAIL_FLAG_LANES_4) return 4;
    if (r->flag & PARASAIL_FLAG_LANES_8) return 8;
    if (r->flag & PARASAIL_FLAG_LANES_16) return 16;
    if (r->flag & PARASAIL_FLAG_LANES_32) return 32;
    if (r->flag & PARASAIL_FLAG_LANES_64) return 64;
    return 0;
}

/* Prints "score length identities similarities query_gaps ref_gaps". */
static int report(parasail_result_t *r, const char *q, int ql, const char *d, int dl)
{
    parasail_traceback_t *tb;
    long len, id = 0, sim = 0, qg = 0, rg = 0, k;
    int score;
    if (r == NULL || parasail_result_is_saturated(r)) {
        return -1;
    }
    tb = parasail_result_get_traceback(r, q, ql, d, dl, &parasail_blosum62, '|', ':', '.');
    if (tb == NULL) {
        return -1;
    }
    len = (long)strlen(tb->comp);
    for (k = 0; k < len; ++k) {
        if (tb->comp[k] == '|') { ++id; ++sim; }
        else if (tb->comp[k] == ':') { ++sim; }
        if (tb->query[k] == '-') ++qg;
        if (tb->ref[k] == '-') ++rg;
    }
    score = parasail_result_get_score(r);
    if (parasail_result_is_sw(r) && score < 0) {
        score = 0; /* no positive cell: parasail's sentinel, see above */
    }
    printf("\t%d\t%ld\t%ld\t%ld\t%ld\t%ld", score, len, id, sim, qg, rg);
    parasail_traceback_free(tb);
    return 0;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) != -1) {
        char *fields[4];
        char *p = line;
        int f;
        ++lineno;
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        if (n == 0) continue;
        for (f = 0; f < 4; ++f) {
            fields[f] = p;
            p = (f < 3) ? strchr(p, '\t') : NULL;
            if (f < 3) {
                if (p == NULL) {
                    fprintf(stderr, "stdin line %ld: expected 4 tab-separated fields "
                            "(query_id, ref_id, query_seq, ref_seq)\n", lineno);
                    return 2;
                }
                *p++ = '\0';
            }
        }
        {
            const char *q = fields[2], *d = fields[3];
            int ql = (int)strlen(q), dl = (int)strlen(d);
            if (ql == 0 || dl == 0) {
                printf("%s\t%s\tNA", fields[0], fields[1]);
                for (f = 0; f < 12; ++f) printf("\tNA");
                printf("\n");
                continue;
            }
            parasail_result_t *nw = parasail_nw_trace_striped_32(q, ql, d, dl, OPEN, EXTEND, &parasail_blosum62);
            parasail_result_t *sw = parasail_sw_trace_striped_32(q, ql, d, dl, OPEN, EXTEND, &parasail_blosum62);
            if (nw == NULL || sw == NULL) {
                fprintf(stderr, "stdin line %ld: parasail returned no result\n", lineno);
                return 1;
            }
            printf("%s\t%s\t%d", fields[0], fields[1], lanes_of(nw));
            if (report(nw, q, ql, d, dl) != 0 || report(sw, q, ql, d, dl) != 0) {
                fprintf(stderr, "stdin line %ld: parasail traceback failed or saturated\n", lineno);
                return 1;
            }
            printf("\n");
            parasail_result_free(nw);
            parasail_result_free(sw);
        }
    }
    free(line);
    return 0;
}
