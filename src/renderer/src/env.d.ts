/// <reference types="vite/client" />
import type { MmeaApi } from '../../shared/api';

declare global {
  interface Window {
    /** set by the Electron preload; absent in browser mode */
    mmea?: MmeaApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
