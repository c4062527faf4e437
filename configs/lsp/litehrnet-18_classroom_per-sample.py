# ClassroomKD per sample: Eqs. 5, 6, 8, 9 and 10 for each person instance.
_base_ = ['./litehrnet-18_classroom.py']
model = dict(kf=dict(granularity='sample'))
