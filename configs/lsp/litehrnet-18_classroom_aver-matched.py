# AVER with its total distillation weight matched to ClassroomKD's (alpha = lambda = 2):
# ClassroomKD's rank weights sum to about lambda, AVER's equal weights to alpha, so this
# control tells a gain of the filter and the temperatures from a larger total weight.
_base_ = ['./litehrnet-18_classroom_aver.py']
model = dict(distill_weight=2.0)
