"""A generated block of a docs page: the text between a start and an end marker."""
import os.path as osp


def replace_block(path: str, start: str, end: str, text: str) -> None:
    """Put ``text`` between the markers ``start`` and ``end`` of the page at ``path``, in
    place of what was there (the block is appended when the page has no such markers)."""
    page = open(path).read() if osp.isfile(path) else ''
    block = f'{start}\n{text}{end}'
    if start in page:
        before, rest = page.split(start, 1)
        page = before + block + rest.split(end, 1)[1]
    else:
        page += f'\n{block}\n'
    with open(path, 'w') as f:
        f.write(page)
