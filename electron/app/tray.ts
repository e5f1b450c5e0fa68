// The tray: an icon for the aggregate state and the menu from buildTrayMenu.
// Both are replaced only when what they show changed. While its menu is open,
// or the pointer rests on it (macOS), it asks for resource figures: the
// tooltip shows them.
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { Settings } from '../../shared/api.js';
import type { Aggregate, Snapshot } from '../../shared/state.js';
import { buildTrayMenu, findItem, menuSignature, type TrayMenuOptions } from './tray-menu.js';
import { snapshotAggregate, trayIcon, trayTooltip } from './tray-icon.js';

export class TrayController {
  readonly #tray: Tray;
  #iconFile = '';
  #signature = '';
  #template: MenuItemConstructorOptions[] = [];

  constructor(
    private readonly iconDir: string,
    private readonly platform: NodeJS.Platform,
    private readonly menu: TrayMenuOptions,
    onClick: () => void,
    private readonly onWatch: (reason: 'tray-menu' | 'tray-hover', on: boolean) => void = () => {},
  ) {
    this.#tray = new Tray(this.#image('stopped'));
    // Windows shows the menu on right click only; a left click opens the window.
    if (platform === 'win32') this.#tray.on('click', onClick);
    // macOS only (the one platform that has them): the tooltip is about to show.
    this.#tray.on('mouse-enter', () => this.onWatch('tray-hover', true));
    this.#tray.on('mouse-leave', () => this.onWatch('tray-hover', false));
  }

  #image(aggregate: Aggregate) {
    const icon = trayIcon(aggregate, this.platform);
    this.#iconFile = icon.file;
    const image = nativeImage.createFromPath(join(this.iconDir, icon.file));
    if (icon.template) image.setTemplateImage(true);
    return image;
  }

  update(snapshot: Snapshot, settings: Settings): void {
    const aggregate = snapshotAggregate(snapshot);
    if (trayIcon(aggregate, this.platform).file !== this.#iconFile) this.#tray.setImage(this.#image(aggregate));
    this.#tray.setToolTip(trayTooltip(snapshot));
    const template = buildTrayMenu(snapshot, settings, this.menu);
    const signature = menuSignature(template);
    this.#template = template;
    if (signature === this.#signature) return;
    this.#signature = signature;
    // Linux (AppIndicator) only shows a menu passed to setContextMenu again.
    const menu = Menu.buildFromTemplate(template);
    menu.on('menu-will-show', () => this.onWatch('tray-menu', true));
    menu.on('menu-will-close', () => this.onWatch('tray-menu', false));
    // The menu it replaces may never say it closed.
    this.onWatch('tray-menu', false);
    this.#tray.setContextMenu(menu);
  }

  /** The current menu model without handlers, for the e2e tests. */
  model(): unknown {
    return JSON.parse(this.#signature || '[]');
  }

  /** Clicks a menu item by id, as the user would (e2e tests). */
  click(id: string): boolean {
    const item = findItem(this.#template, id);
    if (!item?.click || item.enabled === false) return false;
    (item.click as () => void)();
    return true;
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
