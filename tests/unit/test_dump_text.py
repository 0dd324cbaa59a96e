"""A dump's text tells its tables, row counts and end: read from real mysqldump (MariaDB 10.11)
and pg_dump (15) output (tests/unit/dumps/), fed in pieces of every size as a stream brings
them, with strings that hold the separators the counting looks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.sync.dumptext import DumpParser, MySqlDumpParser, PostgresDumpParser

DUMPS = Path(__file__).parent / "dumps"


def read(parser: DumpParser, data: bytes, size: int) -> DumpParser:
    for start in range(0, len(data), size):
        parser.feed(data[start:start + size])
    parser.close()
    return parser


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
def test_mariadb_dump_rows_objects_and_position(size: int) -> None:
    data = (DUMPS / "mariadb-10.11.sql").read_bytes()
    found = read(MySqlDumpParser(), data, size)
    # orders holds 'a),(b' and an escaped quote and newline: still 3 rows
    assert found.tables == {"empty": 0, "orders": 3}
    assert found.complete
    assert found.position == ("CHANGE MASTER TO MASTER_LOG_FILE='binlog.000001', "
                              "MASTER_LOG_POS=1865; SET GLOBAL gtid_slave_pos='0-1-8'")
    assert sorted(found.unmovable) == ["event e", "procedure p", "trigger t.trg", "view v"]


def test_a_dump_cut_short_is_not_complete() -> None:
    data = (DUMPS / "mariadb-10.11.sql").read_bytes()
    cut = data[:data.index(b"(2,'it")]
    found = read(MySqlDumpParser(), cut, 100)
    assert not found.complete
    assert found.tables["orders"] == 1


def test_mysql_one_line_inserts_count_tuples_not_separators_in_strings() -> None:
    data = (b"CREATE TABLE `orders` (\n"
            b"INSERT INTO `orders` VALUES (1,'a),(b'),(2,'it\\'s),('),(3,NULL);\n"
            b"INSERT INTO `orders` VALUES (4,'x');\n-- Dump completed on 2026-12-01\n")
    assert read(MySqlDumpParser(), data, 5).tables == {"orders": 4}


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1 << 20])
def test_postgresql_dump_rows_per_copy_block(size: int) -> None:
    data = (DUMPS / "postgresql-15.sql").read_bytes()
    found = read(PostgresDumpParser(), data, size)
    # orders holds a value ending in "\\." and one that is "\\.": still 3 rows
    assert found.tables == {'public."Empty"': 0, "public.orders": 3}
    assert found.complete
    cut = read(PostgresDumpParser(), data[:data.index(b"-- PostgreSQL database dump complete")],
               size)
    assert not cut.complete
