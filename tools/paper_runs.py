"""The run behind every row of the paper's Tables 1-6 and Figures 3-4, as commands.

    python tools/paper_runs.py [--only PREFIX ...] [--config-dir DIR]  # one command a line
    python tools/paper_runs.py --markdown                  # the table of docs/reproduction.md

The rows are classroomkd_mm/experiments/paper_runs.py's. A run with another mentor list
(Figure 4, Table 3a) is a small config written under ``--config-dir`` (default
``work_dirs/paper_configs``). A run shared by several rows is printed once. ``--only table6
fig3`` keeps the rows of those tables; ``mentors`` are the standalone runs every CIFAR-100
classroom needs first.
"""
import argparse

from classroomkd_mm.experiments import paper_runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', nargs='+', metavar='PREFIX',
                        help='rows whose table starts with one of these, e.g. table6 fig3')
    parser.add_argument('--config-dir', default=paper_runs.DEFAULT_CONFIG_DIR,
                        help='where the generated configs are written')
    parser.add_argument('--markdown', action='store_true',
                        help='print the reproduction table instead of the commands')
    args = parser.parse_args()
    rows = paper_runs.select(paper_runs.all_rows(), args.only)
    if args.markdown:
        print(paper_runs.markdown(rows, args.config_dir))
        return
    paper_runs.write_generated_configs(rows, args.config_dir)
    print('\n'.join(paper_runs.commands(rows, args.config_dir)))
    if any(row.table == 'mentors' for row in rows):
        print('python tools/pick_graded_mentors.py work_dirs/efficientnet_b0')


if __name__ == '__main__':
    main()
