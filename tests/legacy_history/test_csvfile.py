"""Reading legacy files: the header check, BOM, line numbers, malformed rows, bad bytes."""

import io

import pytest

from legacy_history.csvfile import LegacyFileError, read_batches, read_dataset, text_lines
from tests.legacy_history.conftest import legacy_csv, row


def batches(data: bytes, batch_size=None):
    return list(read_batches(text_lines(io.BytesIO(data)), batch_size=batch_size))


def test_rows_keep_the_line_they_start_on():
    data = legacy_csv(row(id="A"), row(id="B", message="two\nlines"), "", row(id="C"))
    (dataset,) = batches(data)
    assert dataset["id"] == ["A", "B", "C"]
    assert dataset["message"][1] == "two\nlines"
    # Line 1 is the header; B spans lines 3-4; line 5 is blank.
    assert dataset.line_numbers == [2, 3, 6]
    assert dataset.malformed == {}


def test_columns_may_come_in_any_order():
    header = "event,id,type,message,producer,proprietor,updated_at,created_at"
    dataset = read_dataset(f"{header}\nAccount created,A,account,m,System,x@y.se,,2019-05-01\n")
    assert dataset.dict[0]["id"] == "A"
    assert dataset.dict[0]["created_at"] == "2019-05-01"


@pytest.mark.parametrize("bom", [True, False])
def test_a_byte_order_mark_is_not_part_of_the_first_column(bom):
    (dataset,) = batches(legacy_csv(row(id="A"), bom=bom))
    assert dataset.headers[0] == "id"
    assert read_dataset(legacy_csv(row(id="A"), bom=bom).decode()).headers[0] == "id"


def test_unknown_columns_are_refused_by_name():
    header = "id,event,type,message,producer,proprietor,created_at,updated_at,channel,note"
    with pytest.raises(LegacyFileError, match="Unknown column “channel”, “note”"):
        batches(legacy_csv(header=header))


def test_missing_columns_are_refused_by_name():
    with pytest.raises(LegacyFileError, match="Missing column “updated_at”"):
        batches(legacy_csv(header="id,event,type,message,producer,proprietor,created_at"))


def test_a_repeated_column_is_refused():
    header = "id,event,type,message,producer,proprietor,created_at,updated_at,id"
    with pytest.raises(LegacyFileError, match="Column “id” appears twice"):
        batches(legacy_csv(header=header))


def test_an_empty_file_is_refused():
    with pytest.raises(LegacyFileError, match="The file is empty"):
        batches(b"")


def test_a_row_with_the_wrong_number_of_fields_is_kept_and_marked():
    (dataset,) = batches(legacy_csv(row(id="A"), "B,Account created,account,a,b,c,d,e,f,g"))
    assert len(dataset) == 2
    assert dataset.malformed == {
        2: "The row has 10 fields where the header has 8; a message with commas or line breaks "
        "must be in double quotes."
    }
    assert dataset.line_numbers == [2, 3]


def test_a_line_that_is_not_utf8_is_reported_by_number():
    data = legacy_csv(row(id="A")) + "B,Kontot skapades,account,Välkommen".encode("latin-1")
    with pytest.raises(LegacyFileError, match="Line 3 is not UTF-8 text"):
        batches(data)


def test_broken_quoting_is_reported_by_line():
    data = legacy_csv(row(id="A"), 'B,"Account" created,account,m,System,x@y.se,2019,')
    with pytest.raises(LegacyFileError, match="Line 3: not valid CSV"):
        batches(data)


def test_batches_split_the_rows_and_keep_their_lines():
    data = legacy_csv(*[row(id=f"A{n}") for n in range(5)])
    parts = batches(data, batch_size=2)
    assert [len(part) for part in parts] == [2, 2, 1]
    assert [part.line_numbers for part in parts] == [[2, 3], [4, 5], [6]]


def test_progress_counts_the_bytes_read():
    data = legacy_csv(row(id="A"), row(id="B"))
    seen = []
    list(read_batches(text_lines(io.BytesIO(data), seen.append)))
    assert sum(seen) == len(data)
