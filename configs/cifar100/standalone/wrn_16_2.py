_base_ = ['../_base_/standalone.py']
model = dict(arch='wrn_16_2')
