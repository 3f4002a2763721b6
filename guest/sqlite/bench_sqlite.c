/* bench_sqlite: SQLite with an in-memory database, linked statically with glibc and Debian's
 * libsqlite3.a (scripts/bench builds it; guest/build.sh does not, as musl cannot link it).
 * Inserts N rows in one transaction, indexes them, then runs range, group-by and join
 * queries. Usage: bench_sqlite [N]   (default 200000; N=0 measures start-up only).
 * Prints the query results, which are the same on every correct machine. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static sqlite3 *db;

static void die(const char *what)
{
    printf("sqlite error in %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql);
}

/* Prints every row of a query, columns separated by spaces. */
static void query(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++)
            printf("%s%s", i ? " " : "", (const char *)sqlite3_column_text(st, i));
        printf("\n");
    }
    if (rc != SQLITE_DONE) die(sql);
    sqlite3_finalize(st);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (n < 0) return 2;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) die("open");
    /* Sorting for CREATE INDEX and ORDER BY stays in memory too: no temporary files. */
    exec("PRAGMA temp_store = MEMORY");
    exec("CREATE TABLE item(id INTEGER PRIMARY KEY, k INTEGER, name TEXT)");
    exec("CREATE TABLE kind(k INTEGER PRIMARY KEY, label TEXT)");
    exec("BEGIN");
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO item(k, name) VALUES(?, ?)", -1, &ins, NULL) !=
        SQLITE_OK)
        die("prepare insert");
    uint64_t x = 0x2545f4914f6cdd1dull;
    char name[32];
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(name, sizeof name, "item-%llu", (unsigned long long)(x % 1000003));
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)(x % 5000));
        sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    for (int k = 0; k < 100; k++) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO kind VALUES(%d, 'kind-%d')", k, k * 7 % 100);
        exec(sql);
    }
    exec("COMMIT");
    exec("CREATE INDEX item_k ON item(k)");
    printf("rows: %ld\n", n);
    query("SELECT count(*), sum(k), min(name), max(name) FROM item WHERE k BETWEEN 1000 AND 2000");
    query("SELECT k % 7, count(*), sum(length(name)) FROM item GROUP BY k % 7 ORDER BY 1");
    query("SELECT kind.label, count(*) FROM item JOIN kind ON item.k % 100 = kind.k "
          "GROUP BY kind.label ORDER BY 2 DESC, 1 LIMIT 3");
    query("SELECT count(DISTINCT name) FROM item");
    sqlite3_close(db);
    return fflush(stdout) == 0 ? 0 : 1;
}
